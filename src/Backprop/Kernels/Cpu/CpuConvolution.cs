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
            SwapOuterAxes(product, 0, CpuBackend.Data<T>(y), o, w.N, positions);
            CpuAllocator.ReturnScratch(product);
        }
    }

    /// <summary>dWeight = Σₙ g[n]·columns[:, n]ᵀ and dx, the columns' gradient weightᵀ·g[n] folded back by
    /// col2im into the zero-filled dx, each only where asked for.</summary>
    public static void Backward<T>(Tensor columns, Tensor weight, Tensor g, Window2d w, Tensor? dWeight, Tensor? dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int o = weight.shape[0], taps = columns.shape[0], positions = w.OutH * w.OutW, width = w.N * positions;
        var cols = CpuBackend.Data<T>(columns).AsSpan(columns.offset);
        var kernel = CpuBackend.Data<T>(weight).AsSpan(weight.offset);
        var grad = CpuBackend.Data<T>(g).AsSpan(g.offset, g.Numel);
        var dW = dWeight is null ? default : CpuBackend.Data<T>(dWeight).AsSpan(0, o * taps);
        var dInput = dx is null ? default : CpuBackend.Data<T>(dx).AsSpan(dx.offset, dx.Numel);
        if (!OverWholeBatch(w.N, taps, positions))
        {
            if (dWeight is not null)
                Gemm.MultiplyBatch(false, true, o, taps, positions, grad, positions, o * positions, cols, width,
                    positions, dW, taps, 0, w.N, sumBatch: true, T.One, T.Zero, Threads.Count);
            if (dx is not null) InputGradient<T>(kernel, grad, byChannel: false, w, o, taps, dInput);
            return;
        }
        var rows = CpuAllocator.RentScratch<T>(o * width);   // g as [O, N, positions]
        SwapOuterAxes(CpuBackend.Data<T>(g), g.offset, rows, w.N, o, positions);
        if (dWeight is not null)
            Gemm.Multiply(false, true, o, taps, width, rows, width, cols, width, dW, taps, T.One, T.Zero,
                Threads.Count);
        if (dx is not null) InputGradient<T>(kernel, rows.AsSpan(0, o * width), byChannel: true, w, o, taps, dInput);
        CpuAllocator.ReturnScratch(rows);
    }

    /// <summary>Elements of the columns' gradient made and folded at a time.</summary>
    private const int InputGradientGroupElements = 1 << 20;

    /// <summary>
    /// dx += col2im(weightᵀ·g), a group of samples at a time: each group's columns are folded into dx while they are
    /// still in cache, where the whole batch's (64 MB for a DCGAN discriminator's second layer) would go out to memory
    /// and back. g is [N, O, positions], or [O, N·positions] when <paramref name="byChannel"/>. The groups are as
    /// even as the batch allows and each product is large enough for the blocked path, whose sums over O do not
    /// depend on how many columns it is given, so the bits are those of one product over the batch.
    /// </summary>
    private static void InputGradient<T>(ReadOnlySpan<T> kernel, ReadOnlySpan<T> g, bool byChannel, Window2d w,
        int o, int taps, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int positions = w.OutH * w.OutW, plane = w.H * w.W;
        long perSample = (long)taps * positions;
        if (w.N == 0 || perSample == 0) return;   // an empty batch, or no columns: dx stays zero
        // each group's product packs weightᵀ again: a group spans at least 4·O columns, so that repacking stays a
        // quarter of what the group's columns' gradient would have sent to memory
        int fewestSamples = Math.Max(1, (4 * o + positions - 1) / positions);
        int groups = (int)Math.Clamp(perSample * w.N / InputGradientGroupElements, 1,
            Math.Max(1, w.N / fewestSamples));
        var dColumns = CpuAllocator.RentScratch<T>((int)(perSample * ((w.N + groups - 1) / groups)));
        for (int group = 0; group < groups; group++)
        {
            int n0 = (int)((long)w.N * group / groups), count = (int)((long)w.N * (group + 1) / groups) - n0;
            int width = count * positions;
            if (byChannel)
                Gemm.Multiply(true, false, taps, width, o, kernel, taps, g[(n0 * positions)..], w.N * positions,
                    dColumns, width, T.One, T.Zero, Threads.Count);
            else
                Gemm.MultiplyBatch(true, false, taps, positions, o, kernel, taps, 0, g[(n0 * o * positions)..],
                    positions, o * positions, dColumns, width, positions, count, sumBatch: false, T.One, T.Zero,
                    Threads.Count);
            WindowParallel.Col2Im<T>(dColumns.AsSpan(0, taps * width), w with { N = count },
                dx[(n0 * w.C * plane)..]);
        }
        CpuAllocator.ReturnScratch(dColumns);
    }

    /// <summary>dst [inner, outer, run] ← src [outer, inner, run]: a permuted copy, the runs copied whole and split
    /// over the threads (<see cref="CpuKernels.Copy{T}"/>).</summary>
    private static void SwapOuterAxes<T>(T[] src, int srcOffset, T[] dst, int outer, int inner, int run)
        where T : unmanaged =>
        CpuKernels.Copy(src, srcOffset, [run, inner * run, 1], dst, 0, [outer * run, run, 1], [inner, outer, run]);

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
