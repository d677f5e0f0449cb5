namespace Backprop.Tests.Tensors;

public class TensorTests
{
    private static double[] D(Tensor t) => t.ToArray<double>();

    [Fact]
    public void FromArray_keeps_values_shape_and_dtype()
    {
        var t = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, [2, 3], requiresGrad: true);
        Assert.Equal(DType.Float64, t.DType);
        Assert.Equal(new[] { 2, 3 }, t.Shape);
        Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, t.ToArray<double>());
        Assert.True(t.RequiresGrad);
        Assert.Equal(DType.Float32, Tensor.FromArray(new float[] { 1 }).DType);
        Assert.Equal(DType.Int64, Tensor.FromArray(new long[] { 1 }).DType);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], [2, 3]));
        Assert.Contains("[2,3]", ex.Message);
    }

    [Fact]
    public void Creation_functions_fill_as_documented()
    {
        Assert.Equal(new double[] { 1, 0, 0, 0, 1, 0 }, D(Tensor.Eye(2, 3)));
        Assert.Equal(new double[] { 0, 0.5, 1, 1.5 }, D(Tensor.Arange(0, 2, 0.5)));
        Assert.Equal(new double[] { -1, -0.5, 0, 0.5, 1 }, D(Tensor.Linspace(-1, 1, 5, DType.Float64)));
        Assert.Equal(new double[] { 7, 7 }, D(Tensor.Full([2], 7)));
        Assert.Equal(new long[] { 0, 1, 2 }, Tensor.Arange(3, DType.Int64).ToArray<long>());
        var u = D(Tensor.Rand([1000], DType.Float64, new Generator(1)));
        Assert.All(u, v => Assert.InRange(v, 0, 1 - 1e-17));
        var n = D(Tensor.Randn([20000], DType.Float64, new Generator(2)));
        Assert.InRange(n.Average(), -0.05, 0.05);
        Assert.InRange(n.Select(v => v * v).Average(), 0.95, 1.05);
    }

    [Fact]
    public void Linspace_with_one_step_is_its_start_as_in_PyTorch()
    {
        Assert.Equal(new[] { 3f }, Tensor.Linspace(3, 7, 1).ToArray<float>());
        Assert.Empty(Tensor.Linspace(3, 7, 0).ToArray<float>());
        Assert.Equal(new[] { 3.0, 7 }, Tensor.Linspace(3, 7, 2, DType.Float64).ToArray<double>());
    }

    [Fact]
    public void Seeds_make_random_tensors_repeatable()
    {
        Tensor.ManualSeed(42);
        var a = D(Tensor.Randn([5]));
        Tensor.ManualSeed(42);
        Assert.Equal(a, D(Tensor.Randn([5])));
        Assert.Equal(D(Tensor.Rand([4], generator: new Generator(9))), D(Tensor.Rand([4], generator: new Generator(9))));
        Assert.NotEqual(D(Tensor.Rand([4], generator: new Generator(9))), D(Tensor.Rand([4], generator: new Generator(10))));
    }

    [Fact]
    public void Views_share_storage_and_reshape_copies_only_when_it_must()
    {
        var x = Tensor.Arange(6, DType.Float64).Reshape(2, 3);
        var t = x.T;
        Assert.Same(x.Storage, t.Storage);
        Assert.Equal(new[] { 3, 2 }, t.Shape);
        Assert.Equal(new double[] { 0, 3, 1, 4, 2, 5 }, D(t));
        Assert.False(t.IsContiguous);
        Assert.NotSame(x.Storage, t.Reshape(6).Storage);           // a transpose cannot be flattened in place
        Assert.Same(x.Storage, x.Unsqueeze(1).Reshape(2, 3).Storage);
        Assert.Same(x.Storage, t.Unsqueeze(0).Squeeze().Storage);
        Assert.Equal(new double[] { 3, 4, 5 }, D(x[1]));
        Assert.Equal(new double[] { 1, 4 }, D(x[.., 1]));
        Assert.Equal(new double[] { 2, 5 }, D(x[.., ^1]));
        Assert.Equal(new double[] { 0, 2, 3, 5 }, D(x.Slice(1, 0, 3, 2)));
        Assert.Equal(new double[] { 0, 1, 2, 0, 1, 2 }, D(x[0].Expand(2, 3)));
        Assert.Equal(new double[] { 0, 3, 1, 4, 2, 5 }, D(x.Permute(1, 0).Flatten()));
        Assert.Equal(new[] { 2, 1, 3 }, x.Unsqueeze(1).Shape);
        Assert.Equal(new[] { 6 }, x.Flatten().Shape);
        Assert.Equal(new[] { 3, 2 }, x.Reshape(-1, 2).Shape);
    }

    [Fact]
    public void Binary_ops_broadcast_like_NumPy()
    {
        var col = Tensor.FromArray(new double[] { 1, 2 }, [2, 1]);
        var row = Tensor.FromArray(new double[] { 10, 20, 30 });
        Assert.Equal(new double[] { 11, 21, 31, 12, 22, 32 }, D(col + row));
        Assert.Equal(new double[] { 9, 19, 29, 8, 18, 28 }, D(row - col));
        Assert.Equal(new double[] { 2, 4 }, D(col.Reshape(2) * Tensor.Scalar(2, DType.Float64)));
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros([3, 4]) + Tensor.Zeros([5]));
        Assert.Contains("Add", ex.Message);
        Assert.Contains("[3,4]", ex.Message);
        Assert.Contains("[5]", ex.Message);
    }

    [Fact]
    public void Ops_work_on_strided_and_broadcast_inputs()
    {
        var x = Tensor.Arange(12, DType.Float64).Reshape(3, 4);
        Assert.Equal(new double[] { 12, 15, 18, 21 }, D(x.Sum(0)));
        Assert.Equal(new double[] { 6, 22, 38 }, D(x.Sum(1)));
        Assert.Equal(new double[] { 66 }, D(x.T.Sum().Reshape(1)));
        Assert.Equal(new double[] { 3, 7, 11 }, D(x.Max(1).Values));
        Assert.Equal(new long[] { 3, 3, 3 }, x.Max(1).Indices.ToArray<long>());
        Assert.Equal(new long[] { 11 }, x.ArgMax().Reshape(1).ToArray<long>());
        Assert.Equal(D(x.Exp()).Select(v => Math.Log(v)).ToArray(), D(x.T.Exp().Log().T), new ToleranceComparer(1e-12));
        Assert.Equal(new double[] { 0, 4, 8 }, D(x.T[0].Contiguous()));
        Assert.Equal(D(x.T.MatMul(x)), D(x.T.Contiguous().MatMul(x)));
    }

    [Fact]
    public void MatMul_errors_name_the_op_and_shapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros([3, 4]).MatMul(Tensor.Zeros([5, 6])));
        Assert.Equal("MatMul: [3,4] @ [5,6]: inner dimensions 4 and 5 differ", ex.Message);
    }

    [Fact]
    public void Out_of_range_indices_name_the_dim_the_index_and_the_size()
    {
        var x = Tensor.Zeros([3, 4]);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(1, Tensor.FromArray(new long[] { 0, 7 })));
        Assert.Contains("index 7", ex.Message);
        Assert.Contains("dim 1", ex.Message);
        Assert.Contains("size 4", ex.Message);
        var ex2 = Assert.Throws<ArgumentOutOfRangeException>(() => x.Select(0, 3));
        Assert.Contains("index 3 is out of range for dim 0 with size 3", ex2.Message);
        var ex3 = Assert.Throws<ArgumentOutOfRangeException>(() => x.Sum(2));
        Assert.Contains("dim 2", ex3.Message);
    }

    [Fact]
    public void A_refused_op_leaves_inputs_and_grads_untouched()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, requiresGrad: true);
        (x * 2).Sum().Backward();
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.ScatterAdd(x, 0, Tensor.FromArray(new long[] { 5 }), Tensor.Ones([1], DType.Float64)));
        Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Zeros([2], DType.Float64));
        Assert.Equal(new double[] { 1, 2, 3 }, D(x));
        Assert.Equal(new double[] { 2, 2, 2 }, D(x.Grad!));
    }

    [Fact]
    public void Item_ToArray_and_dtype_conversion()
    {
        Assert.Equal(2.5, Tensor.Scalar(2.5).Item<float>());
        Assert.Equal(new long[] { 1, -2 }, Tensor.FromArray(new double[] { 1.7, -2.2 }).To(DType.Int64).ToArray<long>());
        var ex = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros([2]).Item());
        Assert.Contains("[2]", ex.Message);
    }

    [Fact]
    public void Cat_stack_split_and_chunk_round_trip()
    {
        var a = Tensor.Arange(6, DType.Float64).Reshape(2, 3);
        var b = Tensor.Arange(6, 9, 1, DType.Float64).Reshape(1, 3);
        var c = Tensor.Cat([a, b]);
        Assert.Equal(new[] { 3, 3 }, c.Shape);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (double)i).ToArray(), D(c));
        Assert.Equal(new[] { 2, 3, 2 }, Tensor.Stack([a, a], dim: 2).Shape);
        var parts = c.Split([1, 2], dim: 1);
        Assert.Equal(new double[] { 0, 3, 6 }, D(parts[0]));
        Assert.Equal(new[] { 3, 2 }, parts[1].Shape);
        Assert.Equal(2, c.Chunk(2).Length);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Cat([a, Tensor.Zeros([1, 2], DType.Float64)]));
        Assert.Contains("[2,3]", ex.Message);
    }

    [Fact]
    public void ToString_prints_like_PyTorch()
    {
        Assert.Equal("tensor([[ 0.1000, -1.2000],\n        [ 3.0000,  4.0000]], requires_grad=True)",
            Tensor.FromArray(new float[] { 0.1f, -1.2f, 3, 4 }, [2, 2], requiresGrad: true).ToString());
        Assert.Equal("tensor([1., 2., 3.])", Tensor.FromArray(new float[] { 1, 2, 3 }).ToString());
        Assert.Equal("tensor(3.5000)", Tensor.Scalar(3.5).ToString());
        Assert.Equal("tensor([1.0000e-05, 1.0000e+00])", Tensor.FromArray(new float[] { 1e-5f, 1 }).ToString());
        Assert.Equal("tensor([[[ 0.,  1.,  2.],\n         [ 3.,  4.,  5.]],\n\n        [[ 6.,  7.,  8.],\n         [ 9., 10., 11.]]])",
            Tensor.Arange(12).Reshape(2, 2, 3).ToString());
        Assert.Equal("tensor([1, 2, 3])", Tensor.FromArray(new long[] { 1, 2, 3 }).ToString());
        Assert.Equal("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])",
            Tensor.Arange(2000).ToString());
        Assert.Equal("tensor([1.5000, 2.0000], dtype=Float64)", Tensor.FromArray(new double[] { 1.5, 2 }).ToString());
        Assert.Equal("tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n        1.2857, 1.4286])",
            (Tensor.Arange(11) / 7).ToString());
        Assert.Equal("tensor([2., 4.], grad_fn=<MulBackward>)", (Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true) * 2).ToString());
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tol * (1 + Math.Abs(a));
        public int GetHashCode(double x) => 0;
    }
}
