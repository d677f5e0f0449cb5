using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Fused softmax cross-entropy over rows of a contiguous [N, C] matrix. The exponentials and logarithms of all rows
/// go through one vectorized call each; the per-row work around them is plain loops over pointers, since rows are
/// often shorter than a vector (three classes, ten digits) and a library call or a span slice per row costs more
/// than the arithmetic.
/// </summary>
internal static unsafe class LossKernels
{
    /// <summary>Rows at least this long go through the vectorized library calls.</summary>
    private const int LongRow = 32;

    /// <summary>loss[i] = lse[i] − logits[i, target[i]], where lse is the row's log Σ e^x computed after subtracting
    /// its max.</summary>
    public static void CrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> target, int classes, Span<T> loss,
        Span<T> logSumExp)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = target.Length;
        var shifted = CpuAllocator.RentScratch<T>(n * classes);
        var exps = shifted.AsSpan(0, n * classes);
        // loss holds each row's max until written last
        fixed (T* x = logits, e = exps, rowMax = loss, lse = logSumExp)
        {
            for (int i = 0; i < n; i++)
            {
                T* row = x + (nint)i * classes;
                T max = RowMax(row, classes);
                if (T.IsInfinity(max)) max = T.Zero;   // x − ∞ would be NaN; an unshifted sum gives the right ±∞
                rowMax[i] = max;
                SubtractInto(row, max, e + (nint)i * classes, classes);
            }
            TensorPrimitives.Exp(exps, exps);
            for (int i = 0; i < n; i++) lse[i] = RowSum(e + (nint)i * classes, classes);
            TensorPrimitives.Log(logSumExp[..n], logSumExp);
            for (int i = 0; i < n; i++)
            {
                lse[i] += rowMax[i];
                rowMax[i] = lse[i] - x[(nint)i * classes + (nint)target[i]];
            }
        }
        CpuAllocator.ReturnScratch(shifted);
    }

    /// <summary>
    /// dLogits[i, j] = g[i·gStep]·(softmax[i, j] − [j = target[i]]), the softmax rebuilt from the saved
    /// log-sum-exp; a gStep of 0 gives every row the same upstream gradient.
    /// </summary>
    // compiled optimized at once: its loops would otherwise start unoptimized and be compiled twice more
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CrossEntropyBackward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> target,
        ReadOnlySpan<T> logSumExp, ReadOnlySpan<T> g, int gStep, int classes, Span<T> dLogits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = target.Length;
        var all = dLogits[..(n * classes)];
        fixed (T* x = logits, lse = logSumExp, upstream = g, dx = all)
        {
            for (int i = 0; i < n; i++)
                SubtractInto(x + (nint)i * classes, lse[i], dx + (nint)i * classes, classes);
            TensorPrimitives.Exp(all, all);
            for (int i = 0; i < n; i++)
            {
                T* drow = dx + (nint)i * classes;
                T gi = upstream[(nint)i * gStep];
                if (classes >= LongRow) TensorPrimitives.Multiply(new ReadOnlySpan<T>(drow, classes), gi,
                    new Span<T>(drow, classes));
                else for (int j = 0; j < classes; j++) drow[j] *= gi;
                drow[(nint)target[i]] -= gi;
            }
        }
    }

    // A NaN in the row need not reach the max: it passes through the shifted sum, so the row's loss is NaN either way.
    private static T RowMax<T>(T* row, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (length >= LongRow) return TensorPrimitives.Max(new ReadOnlySpan<T>(row, length));
        T max = row[0];
        for (int j = 1; j < length; j++) max = Greater(row[j], max);
        return max;
    }

    // x > max ? x : max with no branch (which of a row's few scores is largest is data, and a branch on it mispredicts)
    private static T Greater<T>(T x, T max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            return (T)(object)Sse.MaxScalar(Vector128.CreateScalarUnsafe((float)(object)x),
                Vector128.CreateScalarUnsafe((float)(object)max)).ToScalar();
        if (typeof(T) == typeof(double))
            return (T)(object)Sse2.MaxScalar(Vector128.CreateScalarUnsafe((double)(object)x),
                Vector128.CreateScalarUnsafe((double)(object)max)).ToScalar();
        return x > max ? x : max;
    }

    private static void SubtractInto<T>(T* x, T value, T* y, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (length >= LongRow)
        {
            TensorPrimitives.Subtract(new ReadOnlySpan<T>(x, length), value, new Span<T>(y, length));
            return;
        }
        for (int j = 0; j < length; j++) y[j] = x[j] - value;
    }

    private static T RowSum<T>(T* x, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (length >= LongRow) return TensorPrimitives.Sum(new ReadOnlySpan<T>(x, length));
        T sum = T.Zero;
        for (int j = 0; j < length; j++) sum += x[j];
        return sum;
    }
}
