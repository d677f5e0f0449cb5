using System.Numerics;
using System.Numerics.Tensors;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// The matrix products of a 2-D convolution over im2col columns [C·kH·kW, N·outH·outW]: each is one batched
/// GEMM whose item n reads sample n's slice of the columns through the row stride, so outputs land in
/// [N, O, outH, outW] order and the gradient never needs a permuted copy. The weight gradient sums the samples
/// in order, so it is deterministic.
/// </summary>
internal static class CpuConvolution
{
    /// <summary>y[n] = weight [O, C·kH·kW] · columns[:, sample n] + bias, for each sample n, then max(0, ·) with
    /// <paramref name="relu"/>.</summary>
    public static unsafe void Forward<T>(Tensor columns, Tensor weight, Tensor? bias, Window2d w, Tensor y, bool relu)
        where T : unmanaged, IFloatingPointIeee754<T>
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

    /// <summary>dWeight = Σₙ g[n]·columns[:, n]ᵀ and dColumns[:, n] = weightᵀ·g[n], each only where asked
    /// for.</summary>
    public static void Backward<T>(Tensor columns, Tensor weight, Tensor g, Window2d w, Tensor? dWeight,
        Tensor? dColumns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int o = weight.shape[0], taps = columns.shape[0], positions = w.OutH * w.OutW, width = w.N * positions;
        var cols = CpuBackend.Data<T>(columns).AsSpan(columns.offset);
        var kernel = CpuBackend.Data<T>(weight).AsSpan(weight.offset);
        var grad = CpuBackend.Data<T>(g).AsSpan(g.offset, g.Numel);
        if (dWeight is not null)
            Gemm.MultiplyBatch(false, true, o, taps, positions, grad, positions, o * positions, cols, width, positions,
                CpuBackend.Data<T>(dWeight).AsSpan(0, o * taps), taps, 0, w.N, sumBatch: true, T.One, T.Zero,
                Threads.Count);
        if (dColumns is not null)
            Gemm.MultiplyBatch(true, false, taps, positions, o, kernel, taps, 0, grad, positions, o * positions,
                CpuBackend.Data<T>(dColumns).AsSpan(0, taps * width), width, positions, w.N, sumBatch: false, T.One,
                T.Zero, Threads.Count);
    }

    /// <summary>
    /// dz = g where reluOutput &gt; 0, else 0 (or dz = g alone), and dBias[o] = Σn (the sum of plane dz[n, o]), over
    /// contiguous [N, O, H, W] tensors: each plane is masked and summed while it is in cache, the planes split over the
    /// threads. A plane is summed as one run and a channel's plane sums are added in order of n, as dz.Sum([0, 2, 3])
    /// does, so the bits are that reduction's on any number of threads.
    /// </summary>
    public static unsafe void OutputBackward<T>(Tensor g, Tensor? reluOutput, Tensor dz, Tensor? dBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = dz.shape[0], channels = dz.shape[1], planes = batch * channels;
        if (planes == 0)
        {
            if (dBias is not null) CpuBackend.Data<T>(dBias).AsSpan(dBias.offset, channels).Clear();   // an empty batch
            return;
        }
        var sums = dBias is null ? null : CpuAllocator.RentScratch<T>(planes);
        fixed (T* pg = CpuBackend.Data<T>(g).AsSpan(g.offset), pz = CpuBackend.Data<T>(dz).AsSpan(dz.offset), ps = sums,
               py = reluOutput is null ? default : CpuBackend.Data<T>(reluOutput).AsSpan(reluOutput.offset))
        {
            int parts = Math.Min(ParallelSpans.Parts(dz.Numel), planes);
            var body = new PlaneBody<T> { G = pg, Y = py, Dz = pz, Sums = ps, Plane = dz.Numel / planes,
                Planes = planes, Parts = parts };
            ParallelFor.Run(parts, ref body, Threads.Count);
        }
        if (sums is null) return;
        var result = CpuBackend.Data<T>(dBias!).AsSpan(dBias!.offset, channels);
        for (int c = 0; c < channels; c++)
        {
            T sum = sums[c];
            for (int n = 1; n < batch; n++) sum += sums[n * channels + c];
            result[c] = sum;
        }
        CpuAllocator.ReturnScratch(sums);
    }

    /// <summary>A chunk of whole planes: each masked (when there is a ReLU output) and then summed into Sums (when
    /// asked).</summary>
    private unsafe struct PlaneBody<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* G, Y, Dz, Sums;
        public int Plane, Planes, Parts;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Planes, part, Parts);
            for (int p = first; p < first + count; p++)
            {
                nint at = (nint)p * Plane;
                if (Y is not null)
                    PassIfPositiveOp<T>.TryApply(new ReadOnlySpan<T>(G + at, Plane), new ReadOnlySpan<T>(Y + at, Plane),
                        new Span<T>(Dz + at, Plane));
                if (Sums is not null) Sums[p] = TensorPrimitives.Sum(new ReadOnlySpan<T>(Dz + at, Plane));
            }
        }
    }
}
