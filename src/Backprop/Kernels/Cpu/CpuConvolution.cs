using System.Numerics;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// The matrix products of a 2-D convolution over im2col columns [C·kH·kW, N·outH·outW]: each is one batched
/// GEMM whose item n reads sample n's slice of the columns through the row stride, so outputs land in
/// [N, O, outH, outW] order and the gradient never needs a permuted copy. The weight gradient sums the samples
/// in order, so it is deterministic.
/// </summary>
internal static class CpuConvolution
{
    /// <summary>y[n] = weight [O, C·kH·kW] · columns[:, sample n] + bias, for each sample n, then max(0, ·) with <paramref name="relu"/>.</summary>
    public static unsafe void Forward<T>(Tensor columns, Tensor weight, Tensor? bias, Window2d w, Tensor y, bool relu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int o = weight.shape[0], taps = columns.shape[0], positions = w.OutH * w.OutW, width = w.N * positions;
        var cols = CpuBackend.Data<T>(columns).AsSpan(columns.offset);
        var kernel = CpuBackend.Data<T>(weight).AsSpan(weight.offset);
        var output = CpuBackend.Data<T>(y).AsSpan(0, y.Numel);
        // each output channel's bias (and the ReLU) is applied to its row of y as the row's tiles are finished
        fixed (T* pb = bias is null ? default : CpuBackend.Data<T>(bias).AsSpan(bias.offset, o))
            Gemm.MultiplyBatch(false, false, o, positions, taps, kernel, taps, 0, cols, width, positions,
                output, positions, o * positions, w.N, sumBatch: false, T.One, T.Zero, Threads.Count,
                new GemmEpilogue<T>(pb, biasPerRow: true, relu));
    }

    /// <summary>dWeight = Σₙ g[n]·columns[:, n]ᵀ and dColumns[:, n] = weightᵀ·g[n], each only where asked for.</summary>
    public static void Backward<T>(Tensor columns, Tensor weight, Tensor g, Window2d w, Tensor? dWeight, Tensor? dColumns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int o = weight.shape[0], taps = columns.shape[0], positions = w.OutH * w.OutW, width = w.N * positions;
        var cols = CpuBackend.Data<T>(columns).AsSpan(columns.offset);
        var kernel = CpuBackend.Data<T>(weight).AsSpan(weight.offset);
        var grad = CpuBackend.Data<T>(g).AsSpan(g.offset, g.Numel);
        if (dWeight is not null)
            Gemm.MultiplyBatch(false, true, o, taps, positions, grad, positions, o * positions, cols, width, positions,
                CpuBackend.Data<T>(dWeight).AsSpan(0, o * taps), taps, 0, w.N, sumBatch: true, T.One, T.Zero, Threads.Count);
        if (dColumns is not null)
            Gemm.MultiplyBatch(true, false, taps, positions, o, kernel, taps, 0, grad, positions, o * positions,
                CpuBackend.Data<T>(dColumns).AsSpan(0, taps * width), width, positions, w.N, sumBatch: false, T.One, T.Zero, Threads.Count);
    }
}
