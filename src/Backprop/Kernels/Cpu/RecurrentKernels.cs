using System.Numerics;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// The LSTM's pointwise step in one pass over its gates: the four activations, the new cell and hidden states, and in
/// the backward pass all four gate gradients and the cell gradient, each element read once. Rows are split over the
/// threads when a step is large enough to pay for waking them.
/// </summary>
internal static unsafe class RecurrentKernels
{
    private const int MinParallelElements = 1 << 14;

    /// <summary>state[0] = h', state[1] = c' from gates [rows, 4H] (i, f, g, o) and c [rows, H], all contiguous.
    /// </summary>
    public static void LstmCell<T>(Tensor gates, Tensor c, Tensor state) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hidden = c.shape[^1], rows = c.Numel / Math.Max(hidden, 1);
        fixed (T* pg = CpuBackend.Data<T>(gates).AsSpan(gates.offset), pc = CpuBackend.Data<T>(c).AsSpan(c.offset),
               ps = CpuBackend.Data<T>(state).AsSpan(state.offset))
        {
            var body = new Step<T>
            {
                Gates = pg, C = pc, H = ps, CNext = ps + rows * hidden, Hidden = hidden, Rows = rows,
                Parts = PartsFor(rows, hidden),
            };
            ParallelFor.Run(body.Parts, ref body, Threads.Count);
        }
    }

    /// <summary>
    /// dGates [rows, 4H] and dc [rows, H] from the upstream gradient g [2, rows, H] of (h', c'), the gates, the cell
    /// state c and the step's output state; all contiguous.
    /// </summary>
    public static void LstmCellBackward<T>(Tensor g, Tensor gates, Tensor c, Tensor state, Tensor dGates, Tensor dc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hidden = c.shape[^1], rows = c.Numel / Math.Max(hidden, 1);
        fixed (T* pgrad = CpuBackend.Data<T>(g).AsSpan(g.offset), pg = CpuBackend.Data<T>(gates).AsSpan(gates.offset),
               pc = CpuBackend.Data<T>(c).AsSpan(c.offset), ps = CpuBackend.Data<T>(state).AsSpan(state.offset),
               pdg = CpuBackend.Data<T>(dGates).AsSpan(dGates.offset), pdc = CpuBackend.Data<T>(dc).AsSpan(dc.offset))
        {
            var body = new StepBackward<T>
            {
                GradH = pgrad, GradC = pgrad + rows * hidden, Gates = pg, C = pc, CNext = ps + rows * hidden,
                DGates = pdg, DC = pdc, Hidden = hidden, Rows = rows, Parts = PartsFor(rows, hidden),
            };
            ParallelFor.Run(body.Parts, ref body, Threads.Count);
        }
    }

    private static int PartsFor(int rows, int hidden) => rows * hidden < MinParallelElements
        ? 1 : Math.Min(rows, ParallelFor.PartsFor(Threads.Count));

    private static T Sigmoid<T>(T x) where T : IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));

    private struct Step<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Gates, C, H, CNext;
        public int Hidden, Rows, Parts;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Rows, part, Parts);
            for (int r = first; r < first + count; r++)
            {
                T* gate = Gates + (long)r * 4 * Hidden;
                long at = (long)r * Hidden;
                for (int j = 0; j < Hidden; j++)
                {
                    T i = Sigmoid(gate[j]), f = Sigmoid(gate[Hidden + j]);
                    T g = T.Tanh(gate[2 * Hidden + j]), o = Sigmoid(gate[3 * Hidden + j]);
                    T cNext = f * C[at + j] + i * g;
                    CNext[at + j] = cNext;
                    H[at + j] = o * T.Tanh(cNext);
                }
            }
        }
    }

    // dc' in total = the cell's own gradient plus what reaches it through h' = o·tanh(c'); each gate's gradient is
    // that times its partner, times its activation's derivative (σ' = σ(1 − σ), tanh' = 1 − tanh²)
    private struct StepBackward<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* GradH, GradC, Gates, C, CNext, DGates, DC;
        public int Hidden, Rows, Parts;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Rows, part, Parts);
            for (int r = first; r < first + count; r++)
            {
                T* gate = Gates + (long)r * 4 * Hidden, dGate = DGates + (long)r * 4 * Hidden;
                long at = (long)r * Hidden;
                for (int j = 0; j < Hidden; j++)
                {
                    T i = Sigmoid(gate[j]), f = Sigmoid(gate[Hidden + j]);
                    T g = T.Tanh(gate[2 * Hidden + j]), o = Sigmoid(gate[3 * Hidden + j]);
                    T tanhC = T.Tanh(CNext[at + j]), gradH = GradH[at + j];
                    T gradC = GradC[at + j] + gradH * o * (T.One - tanhC * tanhC);
                    dGate[j] = gradC * g * i * (T.One - i);
                    dGate[Hidden + j] = gradC * C[at + j] * f * (T.One - f);
                    dGate[2 * Hidden + j] = gradC * i * (T.One - g * g);
                    dGate[3 * Hidden + j] = gradH * tanhC * o * (T.One - o);
                    DC[at + j] = gradC * f;
                }
            }
        }
    }
}
