using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// The backward pass of a two-layer net on few inputs with few classes, s = relu(x·W₁ᵀ + b₁)·W₂ᵀ + b₂ (the course's
/// spiral: 2 inputs, 3 classes), from g = ∂s, in one pass over the hidden layer's output h: a vector of hidden units at a
/// time, down all the rows, the hidden layer's gradient dz = (g·W₂) ⊙ [h &gt; 0] is formed in registers and used there,
/// never stored. The layers apart write dh, read it back with h to write dz, then read h and dz once more for the two
/// weight gradients; here h is read once and nothing of its size is written.
/// Every sum is added in the order the separate kernels add it (dh as the short-k product, dB₁ four rows at a time as
/// the column sums, dW₁ and dW₂ one row after another as the few-row products), so the gradients have the same bits.
/// </summary>
internal static unsafe class TwoLayerBackward
{
    /// <summary>The most inputs (columns of x) and classes (columns of g) the pass takes.</summary>
    public const int InputLimit = 4, ClassLimit = 4;

    /// <summary>
    /// Whether the pass takes a net of these sizes on this CPU: at most <see cref="InputLimit"/> inputs and
    /// <see cref="ClassLimit"/> classes, so a block's accumulators stay in registers; at least a vector of hidden units,
    /// so every block is a whole vector (the last one overlapping the one before it); and products small enough that
    /// the layers apart run them unpacked on one thread (<see cref="GemmBlocked.SmallWork"/> multiply-adds), whose
    /// order of adding the pass keeps.
    /// </summary>
    public static bool Fits<T>(int rows, int hidden, int classes, int inputs) where T : unmanaged =>
        GemmMicroKernel.IsSupported && rows > 0 && hidden >= Vector256<T>.Count
        && classes is >= 1 and <= ClassLimit && inputs is >= 1 and <= InputLimit
        && (long)rows * hidden * Math.Max(classes, inputs) <= GemmBlocked.SmallWork;

    /// <summary>
    /// From g [rows, classes], W₂ [classes, hidden], h [rows, hidden] and x [rows, inputs], all row-major, writes
    /// dW₂ = gᵀ·h [classes, hidden], dB₁ = Σ rows of dz [hidden] and dW₁ = dzᵀ·x [hidden, inputs].
    /// </summary>
    public static void Run<T>(int rows, int hidden, int classes, int inputs, T* g, T* w2, T* h, T* x, T* dW2, T* dB1, T* dW1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j0 = 0; j0 < hidden; j0 += Vector256<T>.Count)
        {
            // the last block ends at the last unit: the lanes it shares with the one before get the same bits again
            int j = Math.Min(j0, hidden - Vector256<T>.Count);
            switch (classes)
            {
                case 1: Block<T, One>(rows, hidden, inputs, j, g, w2, h, x, dW2, dB1, dW1); break;
                case 2: Block<T, Two>(rows, hidden, inputs, j, g, w2, h, x, dW2, dB1, dW1); break;
                case 3: Block<T, Three>(rows, hidden, inputs, j, g, w2, h, x, dW2, dB1, dW1); break;
                default: Block<T, Four>(rows, hidden, inputs, j, g, w2, h, x, dW2, dB1, dW1); break;
            }
        }
    }

    private static void Block<T, TClasses>(int rows, int hidden, int inputs, int j, T* g, T* w2, T* h, T* x, T* dW2, T* dB1, T* dW1)
        where T : unmanaged, IFloatingPointIeee754<T> where TClasses : ICount
    {
        switch (inputs)
        {
            case 1: Block<T, TClasses, One>(rows, hidden, j, g, w2, h, x, dW2, dB1, dW1); break;
            case 2: Block<T, TClasses, Two>(rows, hidden, j, g, w2, h, x, dW2, dB1, dW1); break;
            case 3: Block<T, TClasses, Three>(rows, hidden, j, g, w2, h, x, dW2, dB1, dW1); break;
            default: Block<T, TClasses, Four>(rows, hidden, j, g, w2, h, x, dW2, dB1, dW1); break;
        }
    }

    /// <summary>Hidden units j .. j + one vector, down all the rows: their columns of dW₂, dB₁ and their rows of dW₁.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block<T, TClasses, TInputs>(int rows, int hidden, int j, T* g, T* w2, T* h, T* x, T* dW2, T* dB1, T* dW1)
        where T : unmanaged, IFloatingPointIeee754<T> where TClasses : ICount where TInputs : ICount
    {
        int classes = TClasses.Value, inputs = TInputs.Value;
        var w0 = Vector256.Load(w2 + j);
        var w1 = classes > 1 ? Vector256.Load(w2 + hidden + j) : default;
        var w2j = classes > 2 ? Vector256.Load(w2 + 2 * hidden + j) : default;
        var w3 = classes > 3 ? Vector256.Load(w2 + 3 * hidden + j) : default;
        Vector256<T> c0 = default, c1 = default, c2 = default, c3 = default;   // dW₂'s rows, one per class
        Vector256<T> a0 = default, a1 = default, a2 = default, a3 = default;   // dW₁'s columns, one per input
        Vector256<T> bias = default;
        T* hj = h + j;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            var z0 = Row<T, TClasses, TInputs>(r, hidden, g, hj, x, w0, w1, w2j, w3, ref c0, ref c1, ref c2, ref c3, ref a0, ref a1, ref a2, ref a3);
            var z1 = Row<T, TClasses, TInputs>(r + 1, hidden, g, hj, x, w0, w1, w2j, w3, ref c0, ref c1, ref c2, ref c3, ref a0, ref a1, ref a2, ref a3);
            var pair = z0 + z1;
            var z2 = Row<T, TClasses, TInputs>(r + 2, hidden, g, hj, x, w0, w1, w2j, w3, ref c0, ref c1, ref c2, ref c3, ref a0, ref a1, ref a2, ref a3);
            var z3 = Row<T, TClasses, TInputs>(r + 3, hidden, g, hj, x, w0, w1, w2j, w3, ref c0, ref c1, ref c2, ref c3, ref a0, ref a1, ref a2, ref a3);
            bias += pair + (z2 + z3);
        }
        for (; r < rows; r++)
            bias += Row<T, TClasses, TInputs>(r, hidden, g, hj, x, w0, w1, w2j, w3, ref c0, ref c1, ref c2, ref c3, ref a0, ref a1, ref a2, ref a3);

        bias.Store(dB1 + j);
        c0.Store(dW2 + j);
        if (classes > 1) c1.Store(dW2 + hidden + j);
        if (classes > 2) c2.Store(dW2 + 2 * hidden + j);
        if (classes > 3) c3.Store(dW2 + 3 * hidden + j);
        // dW₁ is [hidden, inputs]: unit j's row holds one lane of each input's accumulator
        for (int lane = 0; lane < Vector256<T>.Count; lane++)
        {
            T* row = dW1 + (j + lane) * inputs;
            row[0] = a0.GetElement(lane);
            if (inputs > 1) row[1] = a1.GetElement(lane);
            if (inputs > 2) row[2] = a2.GetElement(lane);
            if (inputs > 3) row[3] = a3.GetElement(lane);
        }
    }

    /// <summary>
    /// Row r: dz = (g_r·W₂) ⊙ [h_r &gt; 0] for the block's units, with each class's g·h and each input's dz·x added onto
    /// the block's accumulators; returns dz for the bias sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Row<T, TClasses, TInputs>(int r, int hidden, T* g, T* hj, T* x,
        Vector256<T> w0, Vector256<T> w1, Vector256<T> w2, Vector256<T> w3,
        ref Vector256<T> c0, ref Vector256<T> c1, ref Vector256<T> c2, ref Vector256<T> c3,
        ref Vector256<T> a0, ref Vector256<T> a1, ref Vector256<T> a2, ref Vector256<T> a3)
        where T : unmanaged, IFloatingPointIeee754<T> where TClasses : ICount where TInputs : ICount
    {
        int classes = TClasses.Value, inputs = TInputs.Value;
        T* gr = g + (nint)r * classes, xr = x + (nint)r * inputs;
        var hr = Vector256.Load(hj + (nint)r * hidden);
        var g0 = Vector256.Create(gr[0]);
        var dh = g0 * w0;
        c0 = GemmMicroKernel.MulAdd(hr, g0, c0);
        if (classes > 1) { var g1 = Vector256.Create(gr[1]); dh = GemmMicroKernel.MulAdd(g1, w1, dh); c1 = GemmMicroKernel.MulAdd(hr, g1, c1); }
        if (classes > 2) { var g2 = Vector256.Create(gr[2]); dh = GemmMicroKernel.MulAdd(g2, w2, dh); c2 = GemmMicroKernel.MulAdd(hr, g2, c2); }
        if (classes > 3) { var g3 = Vector256.Create(gr[3]); dh = GemmMicroKernel.MulAdd(g3, w3, dh); c3 = GemmMicroKernel.MulAdd(hr, g3, c3); }
        var dz = PassIfPositiveOp<T>.Apply(dh, hr);
        a0 = GemmMicroKernel.MulAdd(dz, Vector256.Create(xr[0]), a0);
        if (inputs > 1) a1 = GemmMicroKernel.MulAdd(dz, Vector256.Create(xr[1]), a1);
        if (inputs > 2) a2 = GemmMicroKernel.MulAdd(dz, Vector256.Create(xr[2]), a2);
        if (inputs > 3) a3 = GemmMicroKernel.MulAdd(dz, Vector256.Create(xr[3]), a3);
        return dz;
    }
}
