using Backprop.Kernels;
using static Backprop.Tests.Cuda.Simulated;

namespace Backprop.Tests.Cuda;

/// <summary>Reductions, matrix products, indexing, losses and window kernels of the CUDA backend (on ILGPU's CPU accelerator) against the CPU backend.</summary>
[Collection(Simulated.Collection)]
public class NnKernelTests
{
    public static TheoryData<DType> AllTypes => new(DType.Float32, DType.Float64, DType.Int64);
    public static TheoryData<DType> FloatTypes => new(DType.Float32, DType.Float64);

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Reductions_match_for_short_and_long_rows(DType dtype)
    {
        foreach (int length in new[] { 1, 7, 600 })
        {
            var x = Random([3, length], dtype, length, -9, 9);
            foreach (var k in Enum.GetValues<ReduceKernel>())
            {
                var (yc, yg) = Outputs([3], dtype);
                Cpu.Reduce(k, x, yc);
                GpuKernels.Reduce(k, x.To(Gpu), yg);
                AssertClose(yc, yg, dtype == DType.Int64 ? 0 : Tolerance(dtype) * length, $"{k} of {length}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void ArgReduce_picks_the_first_extreme_of_strided_rows(DType dtype)
    {
        // small integers make ties likely; the rows are the columns of a transposed view
        var x = Random([300, 4], dtype, 12, 0, 5).T;
        foreach (bool max in new[] { true, false })
        {
            var (yc, yg) = Outputs([4], DType.Int64);
            Cpu.ArgReduce(max, x, yc);
            GpuKernels.ArgReduce(max, x.To(Gpu), yg);
            AssertClose(yc, yg, 0, max ? "argmax" : "argmin");
        }
    }

    [Fact]
    public void Max_and_argmax_take_a_NaN_as_the_extreme()
    {
        var x = Tensor.FromArray(new[] { 1f, 5f, float.NaN, 2f, float.NaN, 9f }, [1, 6]);
        var max = Tensor.Empty([1], DType.Float32, Gpu);
        GpuKernels.Reduce(ReduceKernel.Max, x.To(Gpu), max);
        Assert.True(float.IsNaN(max.Item<float>()));
        var (ic, ig) = Outputs([1], DType.Int64);
        Cpu.ArgReduce(true, x, ic);
        GpuKernels.ArgReduce(true, x.To(Gpu), ig);
        Assert.Equal(2, ig.Item<long>());
        Assert.Equal(ic.Item<long>(), ig.Item<long>());
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void MatMul_matches_with_broadcast_batches_and_transposed_operands(DType dtype)
    {
        var a = Random([2, 1, 19, 21], dtype, 13);
        var b = Random([3, 17, 21], dtype, 14).Transpose(1, 2);   // [3, 21, 17] as a transposed view
        var ae = a.Expand(2, 3, 19, 21);
        var be = b.Expand(2, 3, 21, 17);
        var (yc, yg) = Outputs([2, 3, 19, 17], dtype);
        Cpu.MatMul(ae, be, yc);
        GpuKernels.MatMul(a.To(Gpu).Expand(2, 3, 19, 21), b.To(Gpu).Expand(2, 3, 21, 17), yg);
        AssertClose(yc, yg, Tolerance(dtype) * 20);
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Gather_and_ScatterAdd_match_with_repeated_indices(DType dtype)
    {
        var x = Random([4, 6], dtype, 15, -9, 9);
        var index = Tensor.FromArray(new long[] { 5, 0, 5, 2, 1, 1, 3, 3, 0, 4, 4, 4 }, [4, 3]);
        var (yc, yg) = Outputs([4, 3], dtype);
        Cpu.Gather(x, 1, index, yc);
        GpuKernels.Gather(x.To(Gpu), 1, index.To(Gpu), yg);
        AssertClose(yc, yg, 0, "gather");

        var src = Random([4, 3], dtype, 16, -9, 9);
        var (sc, sg) = (Tensor.Zeros([4, 6], dtype), Tensor.Zeros([4, 6], dtype, device: Gpu));
        Cpu.ScatterAdd(sc, 1, index, src);
        GpuKernels.ScatterAdd(sg, 1, index.To(Gpu), src.To(Gpu));
        AssertClose(sc, sg, Tolerance(dtype), "scatter");
    }

    [Fact]
    public void FindOutOfRange_reports_the_first_bad_index_in_order()
    {
        var index = Tensor.FromArray(new long[] { 0, 3, 1, 9, -1, 2 }, [3, 2]);
        Assert.Equal(Cpu.FindOutOfRange(index.T, 3), GpuKernels.FindOutOfRange(index.To(Gpu).T, 3));
        Assert.Equal(-1, GpuKernels.FindOutOfRange(index.To(Gpu).T, 3));   // the transposed order reaches -1 before 9
        Assert.Null(GpuKernels.FindOutOfRange(index.To(Gpu).Slice(0, 0, 2), 10));
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void CrossEntropy_and_its_backward_match(DType dtype)
    {
        var logits = Random([5, 7], dtype, 17, -4, 4);
        var target = Tensor.FromArray(new long[] { 0, 6, 3, 3, 1 });
        var g = Random([5], dtype, 18);
        var (lc, lg) = Outputs([5], dtype);
        var (sc, sg) = Outputs([5], dtype);
        Cpu.CrossEntropy(logits, target, lc, sc);
        GpuKernels.CrossEntropy(logits.To(Gpu), target.To(Gpu), lg, sg);
        AssertClose(lc, lg, Tolerance(dtype) * 4, "loss");
        AssertClose(sc, sg, Tolerance(dtype) * 4, "lse");
        var (dc, dg) = Outputs([5, 7], dtype);
        Cpu.CrossEntropyBackward(logits, target, sc, g, dc);
        GpuKernels.CrossEntropyBackward(logits.To(Gpu), target.To(Gpu), sg, g.To(Gpu), dg);
        AssertClose(dc, dg, Tolerance(dtype) * 4, "dlogits");
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void Im2Col_and_Col2Im_match_with_stride_padding_and_dilation(DType dtype)
    {
        var w = new Window2d(N: 2, C: 3, H: 7, W: 6, KernelH: 3, KernelW: 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 2, DilationH: 2, DilationW: 1);
        var x = Random([2, 3, 7, 6], dtype, 19);
        int rows = 3 * 3 * 2, cols = 2 * w.OutH * w.OutW;
        var (cc, cg) = Outputs([rows, cols], dtype);
        Cpu.Im2Col(x, w, cc);
        GpuKernels.Im2Col(x.To(Gpu), w, cg);
        AssertClose(cc, cg, 0, "im2col");
        var (dc, dg) = Outputs([2, 3, 7, 6], dtype);
        Cpu.Col2Im(cc, w, dc);
        GpuKernels.Col2Im(cg, w, dg);
        AssertClose(dc, dg, Tolerance(dtype) * 4, "col2im");
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void Pooling_kernels_match_with_overlapping_padded_windows(DType dtype)
    {
        var w = new Window2d(N: 2, C: 2, H: 5, W: 6, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1);
        var x = Random([2, 2, 5, 6], DType.Int64, 20, 0, 4).To(dtype);   // ties, so the first-winner rule matters
        int[] outShape = [2, 2, w.OutH, w.OutW];
        var (yc, yg) = Outputs(outShape, dtype);
        var (ic, ig) = Outputs(outShape, DType.Int64);
        Cpu.MaxPool2d(x, w, yc, ic);
        GpuKernels.MaxPool2d(x.To(Gpu), w, yg, ig);
        AssertClose(yc, yg, 0, "max");
        AssertClose(ic, ig, 0, "argmax");
        var (ac, ag) = Outputs(outShape, dtype);
        Cpu.AvgPool2d(x, w, ac);
        GpuKernels.AvgPool2d(x.To(Gpu), w, ag);
        AssertClose(ac, ag, Tolerance(dtype), "avg");
        var g = Random(outShape, dtype, 21);
        var (dc, dg) = Outputs([2, 2, 5, 6], dtype);
        Cpu.AvgPool2dBackward(g, w, dc);
        GpuKernels.AvgPool2dBackward(g.To(Gpu), w, dg);
        AssertClose(dc, dg, Tolerance(dtype) * 4, "avg backward");
    }
}
