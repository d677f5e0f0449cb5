using System.Numerics;
using System.Numerics.Tensors;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// The LSTM's pointwise step in one pass over its gates, row by row while the row is in cache: the four activations
/// (vectorized, by TensorPrimitives), the new cell and hidden states, and in the backward pass all four gate
/// gradients and the cell gradient. Rows are split over the threads when a step is large enough to pay for waking
/// them.
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

    // the four gates' activations of one row, each by TensorPrimitives (vectorized, as the unfused ops compute them)
    private static void Activations<T>(T* gate, int hidden, Span<T> activated)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var pre = new ReadOnlySpan<T>(gate, 4 * hidden);
        TensorPrimitives.Sigmoid(pre[..(2 * hidden)], activated[..(2 * hidden)]);
        TensorPrimitives.Tanh(pre.Slice(2 * hidden, hidden), activated.Slice(2 * hidden, hidden));
        TensorPrimitives.Sigmoid(pre[(3 * hidden)..], activated[(3 * hidden)..]);
    }

    private struct Step<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Gates, C, H, CNext;
        public int Hidden, Rows, Parts;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Rows, part, Parts);
            var activated = new T[4 * Hidden];
            for (int r = first; r < first + count; r++)
            {
                Activations(Gates + (long)r * 4 * Hidden, Hidden, activated);
                long at = (long)r * Hidden;
                for (int j = 0; j < Hidden; j++)   // σ(f)·c + σ(i)·tanh(g), rounded as the unfused ops round it
                    CNext[at + j] = activated[Hidden + j] * C[at + j] + activated[j] * activated[2 * Hidden + j];
                var h = new Span<T>(H + at, Hidden);
                TensorPrimitives.Tanh(new ReadOnlySpan<T>(CNext + at, Hidden), h);
                for (int j = 0; j < Hidden; j++) h[j] = activated[3 * Hidden + j] * h[j];
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
            var activated = new T[4 * Hidden];
            var tanhC = new T[Hidden];
            for (int r = first; r < first + count; r++)
            {
                Activations(Gates + (long)r * 4 * Hidden, Hidden, activated);
                long at = (long)r * Hidden;
                TensorPrimitives.Tanh(new ReadOnlySpan<T>(CNext + at, Hidden), tanhC);
                T* dGate = DGates + (long)r * 4 * Hidden;
                for (int j = 0; j < Hidden; j++)
                {
                    T i = activated[j], f = activated[Hidden + j], g = activated[2 * Hidden + j];
                    T o = activated[3 * Hidden + j], t = tanhC[j], gradH = GradH[at + j];
                    T gradC = GradC[at + j] + gradH * o * (T.One - t * t);
                    dGate[j] = gradC * g * i * (T.One - i);
                    dGate[Hidden + j] = gradC * C[at + j] * f * (T.One - f);
                    dGate[2 * Hidden + j] = gradC * i * (T.One - g * g);
                    dGate[3 * Hidden + j] = gradH * t * o * (T.One - o);
                    DC[at + j] = gradC * f;
                }
            }
        }
    }

    /// <summary>
    /// hNext [rows, H] from one GRU step's input gates and hidden gates [rows, 3H] (r, z, n parts, each row's
    /// x·W_ihᵀ + b_ih and h·W_hhᵀ + b_hh) and the hidden state h [rows, H]; all contiguous.
    /// </summary>
    public static void GruCell<T>(Tensor inputGates, Tensor hiddenGates, Tensor h, Tensor hNext)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hidden = h.shape[^1], rows = h.Numel / Math.Max(hidden, 1);
        fixed (T* px = CpuBackend.Data<T>(inputGates).AsSpan(inputGates.offset),
               ph = CpuBackend.Data<T>(hiddenGates).AsSpan(hiddenGates.offset),
               pState = CpuBackend.Data<T>(h).AsSpan(h.offset), pNext = CpuBackend.Data<T>(hNext).AsSpan(hNext.offset))
        {
            var body = new GruStep<T>
            {
                InputGates = px, HiddenGates = ph, H = pState, HNext = pNext, Hidden = hidden, Rows = rows,
                Parts = PartsFor(rows, hidden),
            };
            ParallelFor.Run(body.Parts, ref body, Threads.Count);
        }
    }

    /// <summary>
    /// The gradients of <see cref="GruCell{T}"/> from the upstream gradient g [rows, H] of hNext: dInputGates and
    /// dHiddenGates [rows, 3H] and the part of h's gradient that does not pass through the hidden gates, dh [rows, H];
    /// all contiguous.
    /// </summary>
    public static void GruCellBackward<T>(Tensor g, Tensor inputGates, Tensor hiddenGates, Tensor h,
        Tensor dInputGates, Tensor dHiddenGates, Tensor dh) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hidden = h.shape[^1], rows = h.Numel / Math.Max(hidden, 1);
        fixed (T* pg = CpuBackend.Data<T>(g).AsSpan(g.offset),
               px = CpuBackend.Data<T>(inputGates).AsSpan(inputGates.offset),
               ph = CpuBackend.Data<T>(hiddenGates).AsSpan(hiddenGates.offset),
               pState = CpuBackend.Data<T>(h).AsSpan(h.offset),
               pdx = CpuBackend.Data<T>(dInputGates).AsSpan(dInputGates.offset),
               pdh = CpuBackend.Data<T>(dHiddenGates).AsSpan(dHiddenGates.offset),
               pdState = CpuBackend.Data<T>(dh).AsSpan(dh.offset))
        {
            var body = new GruStepBackward<T>
            {
                Grad = pg, InputGates = px, HiddenGates = ph, H = pState, DInputGates = pdx, DHiddenGates = pdh,
                DH = pdState, Hidden = hidden, Rows = rows, Parts = PartsFor(rows, hidden),
            };
            ParallelFor.Run(body.Parts, ref body, Threads.Count);
        }
    }

    // r and z (the first 2H of a row) and n, each sum rounded before its activation, as the unfused ops round them
    private static void GruActivations<T>(T* inputGate, T* hiddenGate, int hidden, Span<T> activated)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < 2 * hidden; j++) activated[j] = inputGate[j] + hiddenGate[j];
        TensorPrimitives.Sigmoid(activated[..(2 * hidden)], activated[..(2 * hidden)]);
        for (int j = 0; j < hidden; j++)
            activated[2 * hidden + j] = inputGate[2 * hidden + j] + activated[j] * hiddenGate[2 * hidden + j];
        TensorPrimitives.Tanh(activated[(2 * hidden)..], activated[(2 * hidden)..]);
    }

    private struct GruStep<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* InputGates, HiddenGates, H, HNext;
        public int Hidden, Rows, Parts;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Rows, part, Parts);
            var activated = new T[3 * Hidden];
            for (int r = first; r < first + count; r++)
            {
                long gate = (long)r * 3 * Hidden, at = (long)r * Hidden;
                GruActivations(InputGates + gate, HiddenGates + gate, Hidden, activated);
                for (int j = 0; j < Hidden; j++)   // n + z·(h − n), which is (1 − z)·n + z·h
                {
                    T n = activated[2 * Hidden + j];
                    HNext[at + j] = n + activated[Hidden + j] * (H[at + j] - n);
                }
            }
        }
    }

    // through h' = n + z·(h − n): n gets (1 − z)·g, z gets (h − n)·g, h directly z·g; n = tanh(x_n + r·h_n)
    // passes its pre-activation's gradient to x_n, r·that to h_n and h_n·that to r
    private struct GruStepBackward<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Grad, InputGates, HiddenGates, H, DInputGates, DHiddenGates, DH;
        public int Hidden, Rows, Parts;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Rows, part, Parts);
            var activated = new T[3 * Hidden];
            for (int row = first; row < first + count; row++)
            {
                long gate = (long)row * 3 * Hidden, at = (long)row * Hidden;
                GruActivations(InputGates + gate, HiddenGates + gate, Hidden, activated);
                T* dx = DInputGates + gate, dHidden = DHiddenGates + gate;
                for (int j = 0; j < Hidden; j++)
                {
                    T r = activated[j], z = activated[Hidden + j], n = activated[2 * Hidden + j];
                    T g = Grad[at + j], hn = HiddenGates[gate + 2 * Hidden + j];
                    T dn = g * (T.One - z) * (T.One - n * n);
                    T dr = dn * hn * r * (T.One - r);
                    T dz = g * (H[at + j] - n) * z * (T.One - z);
                    dx[j] = dHidden[j] = dr;
                    dx[Hidden + j] = dHidden[Hidden + j] = dz;
                    dx[2 * Hidden + j] = dn;
                    dHidden[2 * Hidden + j] = dn * r;
                    DH[at + j] = g * z;
                }
            }
        }
    }
}
