using ILGPU;
using ILGPU.Algorithms;

namespace Backprop.Cuda.Kernels;

/// <summary>Fused softmax cross-entropy over rows of a contiguous [N, C] matrix, as the CPU backend computes
/// it.</summary>
internal static class LossKernels
{
    /// <summary>One thread per row: lse = max + log Σ e^(x − max), loss = lse − x[target].</summary>
    public static void CrossEntropy<T, A>(Index1D row, ArrayView<T> logits, ArrayView<long> target, ArrayView<T> loss,
        ArrayView<T> logSumExp, int classes)
        where T : unmanaged where A : struct, IArith<T>
    {
        var arith = default(A);
        int start = row * classes;
        double max = arith.ToDouble(logits[start]);
        for (int j = 1; j < classes; j++)
        {
            double v = arith.ToDouble(logits[start + j]);
            if (v > max || XMath.IsNaN(v)) max = v;
        }
        if (XMath.IsInfinity(max)) max = 0;   // x − ∞ would be NaN; the unshifted sum gives the right ±∞
        T shift = arith.FromDouble(max), sum = arith.FromDouble(0);
        for (int j = 0; j < classes; j++)
            sum = arith.Add(sum, arith.Unary(3, arith.Binary(1, logits[start + j], shift), shift, shift));
        T lse = arith.Add(shift, arith.Unary(4, sum, sum, sum));
        logSumExp[row] = lse;
        loss[row] = arith.Binary(1, lse, logits[start + (int)target[row]]);
    }

    /// <summary>One thread per element: dLogits = g·(e^(x − lse) − [j = target]).</summary>
    public static void CrossEntropyBackward<T, A>(Index1D i, ArrayView<T> logits, ArrayView<long> target,
        ArrayView<T> logSumExp, ArrayView<T> g, ArrayView<T> dLogits, int classes)
        where T : unmanaged where A : struct, IArith<T>
    {
        var arith = default(A);
        int row = i / classes, j = i - row * classes;
        T gi = g[row];
        T d = arith.Binary(2, gi, arith.Unary(3, arith.Binary(1, logits[i], logSumExp[row]), gi, gi));
        dLogits[i] = j == (int)target[row] ? arith.Binary(1, d, gi) : d;
    }
}
