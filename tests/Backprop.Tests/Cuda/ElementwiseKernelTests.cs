using Backprop.Kernels;
using static Backprop.Tests.Cuda.Simulated;

namespace Backprop.Tests.Cuda;

/// <summary>Storage, copies and elementwise kernels of the CUDA backend (on ILGPU's CPU accelerator) against the CPU backend.</summary>
[Collection(Simulated.Collection)]
public class ElementwiseKernelTests
{
    public static TheoryData<DType> AllTypes => new(DType.Float32, DType.Float64, DType.Int64, DType.Bool);

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void FromArray_and_ToArray_round_trip_and_Allocate_zero_fills(DType dtype)
    {
        var x = Random([3, 7], dtype, 1, -50, 50);
        Assert.Equal(x.ToArray<double>(), x.To(Gpu).ToArray<double>());
        Assert.All(Tensor.Zeros([5, 3], dtype, device: Gpu).ToArray<double>(), v => Assert.Equal(0, v));
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Fill_and_strided_Copy_match_the_cpu(DType dtype)
    {
        var x = Random([4, 6], dtype, 2, -9, 9);
        var (yc, yg) = Outputs([3, 4], dtype);
        Cpu.Copy(x.Slice(1, 1, 4).T, yc);
        GpuKernels.Copy(x.To(Gpu).Slice(1, 1, 4).T, yg);
        AssertClose(yc, yg, 0);
        // into a strided destination: the transposed view of a fresh [4,3]
        var (dc, dg) = Outputs([4, 3], dtype);
        Cpu.Copy(yc, dc.T);
        GpuKernels.Copy(yg, dg.T);
        AssertClose(dc, dg, 0);
        double filled = dtype == DType.Bool ? 1 : 7;   // a nonzero fill is true
        Assert.All(Tensor.Full([2, 2], 7, dtype, Gpu).ToArray<double>(), v => Assert.Equal(filled, v));
    }

    [Theory]
    [InlineData(DType.Float32, DType.Float64)]
    [InlineData(DType.Float64, DType.Float32)]
    [InlineData(DType.Float32, DType.Int64)]
    [InlineData(DType.Float64, DType.Int64)]
    [InlineData(DType.Int64, DType.Float32)]
    [InlineData(DType.Int64, DType.Float64)]
    [InlineData(DType.Float32, DType.Bool)]
    [InlineData(DType.Float64, DType.Bool)]
    [InlineData(DType.Int64, DType.Bool)]
    [InlineData(DType.Bool, DType.Float32)]
    [InlineData(DType.Bool, DType.Float64)]
    [InlineData(DType.Bool, DType.Int64)]
    public void Convert_truncates_and_rounds_as_the_cpu(DType from, DType to)
    {
        var x = Random([5, 4], from, 3, -30, 30);
        AssertClose(x.T.To(to), x.To(Gpu).T.To(to), 0);
    }

    [Fact]
    public void Numbers_convert_to_Bool_as_nonzero_with_NaN_true()
    {
        var x = Tensor.FromArray(new[] { 0.0, -0.0, double.NaN, 0.25, -3, double.NegativeInfinity });
        Assert.Equal(new[] { false, false, true, true, true, true }, x.To(Gpu).To(DType.Bool).ToArray<bool>());
        var b = Tensor.FromArray(new[] { false, true, false }).To(Gpu);
        Assert.Equal(new[] { 0L, 1, 0 }, b.To(DType.Int64).ToArray<long>());
    }

    // Every row of the op table, for every dtype: where the row takes it, the simulated CUDA kernel gives the CPU's
    // values on a strided view; where it does not, both backends refuse it, naming the dtype.
    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Every_unary_row_of_the_op_table_matches_the_cpu_or_is_refused_by_both(DType dtype)
    {
        var x = Random([6, 5], dtype, 4, -3, 3);
        foreach (var row in OpTable.Unary)
        {
            var k = row.Kernel;
            var (yc, yg) = Outputs([5, 6], dtype);
            if (!OpTable.Takes(row.Takes, dtype))
            {
                Assert.Contains(dtype.ToString(), Assert.Throws<NotSupportedException>(() => Cpu.Unary(k, x.T, yc, 0, 0)).Message);
                Assert.Contains(dtype.ToString(),
                    Assert.Throws<NotSupportedException>(() => GpuKernels.Unary(k, x.To(Gpu).T, yg, 0, 0)).Message);
                continue;
            }
            // logs, sqrt and reciprocals see positive inputs, the inverse sines and erf⁻¹ inputs in (−1, 1); the rest
            // see both signs
            var input = k switch
            {
                UnaryKernel.Log or UnaryKernel.Sqrt or UnaryKernel.RDivScalar or UnaryKernel.Log2 or UnaryKernel.Log10
                    or UnaryKernel.Log1p => x.Abs() + 1,
                UnaryKernel.Asin or UnaryKernel.Acos or UnaryKernel.Erfinv => x / 3.1,
                _ => x,
            };
            var (p, q) = k switch
            {
                UnaryKernel.Clamp or UnaryKernel.InRange => dtype == DType.Int64 ? (-2.0, 3.0) : (-0.5, 1.2),
                UnaryKernel.PowScalar => (3.0, 0.0),
                _ => dtype == DType.Int64 ? (2.0, 0.0) : (0.3, 0.0),
            };
            Cpu.Unary(k, input.T, yc, p, q);
            GpuKernels.Unary(k, input.To(Gpu).T, yg, p, q);
            AssertClose(yc, yg, dtype == DType.Int64 ? 0 : Tolerance(dtype) * 4, $"{k} {dtype}");
        }
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Every_binary_row_of_the_op_table_broadcasts_as_the_cpu_or_is_refused_by_both(DType dtype)
    {
        var a = Random([4, 1, 3], dtype, 6, -3, 3);
        var b = Random([3, 5], dtype, 7, -3, 3).T;   // [5,3] transposed view
        if (dtype is DType.Float32 or DType.Float64) a = a.Abs() + 0.5;  // so that Pow is defined
        if (dtype == DType.Int64) b = b + Tensor.FromArray(Enumerable.Repeat(20L, 15).ToArray(), [5, 3]);  // no 0 divisor
        foreach (var row in OpTable.Binary)
        {
            var k = row.Kernel;
            var (yc, yg) = Outputs([4, 5, 3], row.WritesBool ? DType.Bool : dtype);
            if (!OpTable.Takes(row.Takes, dtype))
            {
                Assert.Contains(dtype.ToString(), Assert.Throws<NotSupportedException>(() => Cpu.Binary(k, a, b, yc)).Message);
                Assert.Contains(dtype.ToString(),
                    Assert.Throws<NotSupportedException>(() => GpuKernels.Binary(k, a.To(Gpu), b.To(Gpu), yg)).Message);
                continue;
            }
            Cpu.Binary(k, a, b, yc);
            GpuKernels.Binary(k, a.To(Gpu), b.To(Gpu), yg);
            AssertClose(yc, yg, dtype is DType.Int64 or DType.Bool ? 0 : Tolerance(dtype) * 4, $"{k} {dtype}");
        }
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Every_reduction_row_of_the_op_table_matches_the_cpu_or_is_refused_by_both(DType dtype)
    {
        var x = Random([4, 6, 5], dtype, 11, -3, 3).Permute(0, 2, 1);   // strided rows
        foreach (var row in OpTable.Reduce)
        {
            var k = row.Kernel;
            var (yc, yg) = Outputs([4, 5], dtype);
            if (!OpTable.Takes(row.Takes, dtype))
            {
                Assert.Contains(dtype.ToString(), Assert.Throws<NotSupportedException>(() => Cpu.Reduce(k, x, yc)).Message);
                Assert.Contains(dtype.ToString(),
                    Assert.Throws<NotSupportedException>(() => GpuKernels.Reduce(k, x.To(Gpu), yg)).Message);
                continue;
            }
            Cpu.Reduce(k, x, yc);
            GpuKernels.Reduce(k, x.To(Gpu), yg);
            AssertClose(yc, yg, dtype is DType.Int64 or DType.Bool ? 0 : Tolerance(dtype) * 8, $"{k} {dtype}");
        }
    }

    [Fact]
    public void The_op_table_has_one_row_per_kernel_in_the_kernels_order()
    {
        Assert.Equal(Enum.GetValues<UnaryKernel>(), OpTable.Unary.Select(r => r.Kernel));
        Assert.Equal(Enum.GetValues<BinaryKernel>(), OpTable.Binary.Select(r => r.Kernel));
        Assert.Equal(Enum.GetValues<ReduceKernel>(), OpTable.Reduce.Select(r => r.Kernel));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Any_and_all_reduce_Bool_rows_as_the_cpu(bool all)
    {
        // mostly true for All and mostly false for Any, so that rows give both answers
        var x = (all ? Random([6, 9], DType.Bool, 12, -0.1, 1) : Random([6, 9], DType.Bool, 12, -1, 0.1)).T;
        var expected = all ? x.All(0) : x.Any(1);
        AssertClose(expected, all ? x.To(Gpu).All(0) : x.To(Gpu).Any(1), 0);
        Assert.Equal(new[] { false, true }, expected.ToArray<bool>().Distinct().Order());
    }

    [Fact]
    public void Maximum_and_minimum_propagate_NaN()
    {
        var a = Tensor.FromArray(new[] { 1f, float.NaN, 3f });
        var b = Tensor.FromArray(new[] { float.NaN, 2f, 1f });
        AssertClose(a.Maximum(b), a.To(Gpu).Maximum(b.To(Gpu)), 0);
        AssertClose(a.Minimum(b), a.To(Gpu).Minimum(b.To(Gpu)), 0);
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Where_broadcasts_all_three_operands(DType dtype)
    {
        var cond = Random([3, 1], dtype, 8, -1, 1).Gt(0);
        var a = Random([1, 4], dtype, 9, -5, 5);
        var b = Random([3, 4], dtype, 10, -5, 5);
        var (yc, yg) = Outputs([3, 4], dtype);
        Cpu.Where(cond, a, b, yc);
        GpuKernels.Where(cond.To(Gpu), a.To(Gpu), b.To(Gpu), yg);
        AssertClose(yc, yg, 0);
    }

    [Fact]
    public void AllFinite_finds_NaN_and_infinity_in_strided_views()
    {
        var x = Random([4, 4], DType.Float32, 11).To(Gpu);
        Assert.True(GpuKernels.AllFinite(x.T));
        var bad = Tensor.FromArray(new[] { 1.0, 2, double.PositiveInfinity, 4 }, [2, 2]).To(Gpu);
        Assert.False(GpuKernels.AllFinite(bad.T));
        Assert.True(GpuKernels.AllFinite(bad.Slice(0, 0, 1)));
    }
}
