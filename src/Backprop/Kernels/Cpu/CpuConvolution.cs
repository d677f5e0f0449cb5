using System.Numerics;
using System.Numerics.Tensors;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// The matrix products of a 2-D convolution over im2col columns [C·kH·kW, N·outH·outW], in one of two forms. Per
/// sample: one batched GEMM whose item n reads sample n's slice of the columns through the row stride, so outputs land
/// in [N, O, outH, outW] order with no copy, but every item packs the whole weight again and the weight gradient reads
/// and writes all of dW once per sample. Whole batch: one product over all N·outH·outW columns, with the output and
/// its gradient copied between [O, N, positions] and [N, O, positions]. The first repeats work in proportion to the
/// weight (taps·O per sample), the second to the output (O·positions per sample), so the batch goes whole when a
/// sample has more taps than positions. Either way the weight gradient sums in a fixed order, so it is deterministic.
/// </summary>
internal static class CpuConvolution
{
    /// <summary>Whether the products run once over the whole batch rather than once per sample.</summary>
    private static bool OverWholeBatch(int batch, int taps, int positions) => batch > 1 && taps > positions;

    /// <summary>y[n] = weight [O, C·kH·kW] · columns[:, sample n] + bias, for each sample n, then max(0, ·) with
    /// <paramref name="relu"/>. Each element sums its taps in the same order on either path, so its bits are the
    /// same.</summary>
    public static unsafe void Forward<T>(Tensor columns, Tensor weight, Tensor? bias, Window2d w, Tensor y, bool relu)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int o = weight.shape[0], taps = columns.shape[0], positions = w.OutH * w.OutW, width = w.N * positions;
        var cols = CpuBackend.Data<T>(columns).AsSpan(columns.offset);
        var kernel = CpuBackend.Data<T>(weight).AsSpan(weight.offset);
        var output = CpuBackend.Data<T>(y).AsSpan(0, y.Numel);
        // each output channel's bias (and the ReLU) is applied to its row of the product as the row's tiles are
        // finished
        fixed (T* pb = bias is null ? default : CpuBackend.Data<T>(bias).AsSpan(bias.offset, o))
        {
            var epilogue = new GemmEpilogue<T>(pb, biasPerRow: true, relu);
            if (!OverWholeBatch(w.N, taps, positions))
            {
                Gemm.MultiplyBatch(false, false, o, positions, taps, kernel, taps, 0, cols, width, positions,
                    output, positions, o * positions, w.N, sumBatch: false, T.One, T.Zero, Threads.Count, epilogue);
                return;
            }
            var product = CpuAllocator.RentScratch<T>(o * width);   // [O, N, positions]
            Gemm.Multiply(false, false, o, width, taps, kernel, taps, cols, width, product, width, T.One, T.Zero,
                Threads.Count, epilogue);
            SwapOuterAxes<T>(product, output, o, w.N, positions);
            CpuAllocator.ReturnScratch(product);
        }
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
        var dW = dWeight is null ? default : CpuBackend.Data<T>(dWeight).AsSpan(0, o * taps);
        var dCols = dColumns is null ? default : CpuBackend.Data<T>(dColumns).AsSpan(0, taps * width);
        if (!OverWholeBatch(w.N, taps, positions))
        {
            if (dWeight is not null)
                Gemm.MultiplyBatch(false, true, o, taps, positions, grad, positions, o * positions, cols, width,
                    positions, dW, taps, 0, w.N, sumBatch: true, T.One, T.Zero, Threads.Count);
            if (dColumns is not null)
                Gemm.MultiplyBatch(true, false, taps, positions, o, kernel, taps, 0, grad, positions, o * positions,
                    dCols, width, positions, w.N, sumBatch: false, T.One, T.Zero, Threads.Count);
            return;
        }
        var rows = CpuAllocator.RentScratch<T>(o * width);   // g as [O, N, positions]
        SwapOuterAxes<T>(grad, rows, w.N, o, positions);
        if (dWeight is not null)
            Gemm.Multiply(false, true, o, taps, width, rows, width, cols, width, dW, taps, T.One, T.Zero,
                Threads.Count);
        if (dColumns is not null)
            Gemm.Multiply(true, false, taps, width, o, kernel, taps, rows, width, dCols, width, T.One, T.Zero,
                Threads.Count);
        CpuAllocator.ReturnScratch(rows);
    }

    /// <summary>dst [inner, outer, run] ← src [outer, inner, run]: the runs copied whole, split over the threads by
    /// runs of dst.</summary>
    private static unsafe void SwapOuterAxes<T>(ReadOnlySpan<T> src, Span<T> dst, int outer, int inner, int run)
        where T : unmanaged
    {
        fixed (T* ps = src, pd = dst)
        {
            var body = new SwapBody<T> { Src = ps, Dst = pd, Outer = outer, Inner = inner, Run = run,
                Parts = ParallelSpans.Parts(outer * inner * run) };
            ParallelFor.Run(body.Parts, ref body, Threads.Count);
        }
    }

    /// <summary>A chunk of the runs of <see cref="SwapOuterAxes{T}"/>, in dst's order, so each part writes one
    /// stretch of memory.</summary>
    private unsafe struct SwapBody<T> : IPartBody where T : unmanaged
    {
        public T* Src, Dst;
        public int Outer, Inner, Run, Parts;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Outer * Inner, part, Parts);
            uint bytes = (uint)(Run * sizeof(T));
            for (int r = first; r < first + count; r++)
            {
                int i = r / Outer, j = r % Outer;
                Buffer.MemoryCopy(Src + ((nint)j * Inner + i) * Run, Dst + (nint)r * Run, bytes, bytes);
            }
        }
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
