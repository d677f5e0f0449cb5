using System.Numerics;

namespace Backprop.Kernels.Cpu;

/// <summary>Fused softmax cross-entropy over rows of a contiguous [N, C] matrix.</summary>
internal static class LossKernels
{
    /// <summary>loss[i] = lse[i] − logits[i, target[i]], where lse is the row's log Σ e^x computed after subtracting its max.</summary>
    public static void CrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> target, int classes, Span<T> loss, Span<T> logSumExp)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < target.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            T max = row[0];
            for (int j = 1; j < classes; j++) if (row[j] > max || T.IsNaN(row[j])) max = row[j];
            if (T.IsInfinity(max)) max = T.Zero;   // x − ∞ would be NaN; an unshifted sum gives the right ±∞
            T sum = T.Zero;
            for (int j = 0; j < classes; j++) sum += T.Exp(row[j] - max);
            T lse = max + T.Log(sum);
            logSumExp[i] = lse;
            loss[i] = lse - row[(int)target[i]];
        }
    }

    /// <summary>dLogits[i, j] = g[i]·(softmax[i, j] − [j = target[i]]), the softmax rebuilt from the saved log-sum-exp.</summary>
    public static void CrossEntropyBackward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> target, ReadOnlySpan<T> logSumExp,
        ReadOnlySpan<T> g, int classes, Span<T> dLogits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < target.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            var drow = dLogits.Slice(i * classes, classes);
            T gi = g[i], lse = logSumExp[i];
            for (int j = 0; j < classes; j++) drow[j] = gi * T.Exp(row[j] - lse);
            drow[(int)target[i]] -= gi;
        }
    }
}
