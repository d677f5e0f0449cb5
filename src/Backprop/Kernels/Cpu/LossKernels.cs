using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Fused softmax cross-entropy over rows of a contiguous [N, C] matrix. The exponentials of all rows go through
/// one vectorized call, since rows are often shorter than a vector (three classes, ten digits).
/// </summary>
internal static class LossKernels
{
    /// <summary>loss[i] = lse[i] − logits[i, target[i]], where lse is the row's log Σ e^x computed after subtracting its max.</summary>
    public static void CrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> target, int classes, Span<T> loss, Span<T> logSumExp)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = target.Length;
        var shifted = BufferPool<T>.Rent(n * classes, clear: false);
        var rowMax = loss;  // loss is written last, so it holds each row's max until then
        for (int i = 0; i < n; i++)
        {
            var row = logits.Slice(i * classes, classes);
            T max = row[0];
            for (int j = 1; j < classes; j++) if (row[j] > max || T.IsNaN(row[j])) max = row[j];
            if (T.IsInfinity(max)) max = T.Zero;   // x − ∞ would be NaN; an unshifted sum gives the right ±∞
            rowMax[i] = max;
            Subtract(row, max, shifted.AsSpan(i * classes, classes));
        }
        var exps = shifted.AsSpan(0, n * classes);
        TensorPrimitives.Exp(exps, exps);
        for (int i = 0; i < n; i++) logSumExp[i] = Sum<T>(exps.Slice(i * classes, classes));
        TensorPrimitives.Log(logSumExp[..n], logSumExp);
        for (int i = 0; i < n; i++)
        {
            logSumExp[i] += rowMax[i];
            loss[i] = logSumExp[i] - logits[i * classes + (int)target[i]];
        }
        BufferPool<T>.Return(shifted);
    }

    /// <summary>dLogits[i, j] = g[i]·(softmax[i, j] − [j = target[i]]), the softmax rebuilt from the saved log-sum-exp.</summary>
    public static void CrossEntropyBackward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> target, ReadOnlySpan<T> logSumExp,
        ReadOnlySpan<T> g, int classes, Span<T> dLogits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = target.Length;
        for (int i = 0; i < n; i++)
            Subtract(logits.Slice(i * classes, classes), logSumExp[i], dLogits.Slice(i * classes, classes));
        var all = dLogits[..(n * classes)];
        TensorPrimitives.Exp(all, all);
        for (int i = 0; i < n; i++)
        {
            var drow = dLogits.Slice(i * classes, classes);
            Multiply(drow, g[i], drow);
            drow[(int)target[i]] -= g[i];
        }
    }

    // Row helpers: a row shorter than a vector (three classes) costs less as a plain loop than as a library call.

    private static void Subtract<T>(ReadOnlySpan<T> x, T value, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length >= Vector256<T>.Count) { TensorPrimitives.Subtract(x, value, y); return; }
        for (int j = 0; j < x.Length; j++) y[j] = x[j] - value;
    }

    private static void Multiply<T>(ReadOnlySpan<T> x, T value, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length >= Vector256<T>.Count) { TensorPrimitives.Multiply(x, value, y); return; }
        for (int j = 0; j < x.Length; j++) y[j] = x[j] * value;
    }

    private static T Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length >= Vector256<T>.Count) return TensorPrimitives.Sum(x);
        T sum = T.Zero;
        foreach (var v in x) sum += v;
        return sum;
    }
}
