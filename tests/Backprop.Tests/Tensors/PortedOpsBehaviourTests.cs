namespace Backprop.Tests.Tensors;

/// <summary>What the golden files cannot show: in-place index writes, dtypes, and the errors naming the op.</summary>
public class PortedOpsBehaviourTests
{
    [Fact]
    public void Setting_through_a_mask_or_an_index_writes_in_place_and_bumps_the_version()
    {
        var t = Tensor.FromArray(new[] { 1.0, -2, 3, -4 }, [2, 2]);
        long version = t.Version;
        t[t.Lt(0)] = Tensor.FromArray(new[] { 0.0 });
        Assert.Equal(new[] { 1.0, 0, 3, 0 }, t.ToArray<double>());
        t[Tensor.FromArray(new long[] { 1 })] = Tensor.FromArray(new[] { 7.0, 8 });
        Assert.Equal(new[] { 1.0, 0, 7, 8 }, t.ToArray<double>());
        Assert.True(t.Version > version);
    }

    [Fact]
    public void Writing_into_a_recorded_output_is_refused()
    {
        var y = Tensor.FromArray(new[] { 1.0, 2 }, requiresGrad: true) * 2;
        Assert.Throws<InvalidOperationException>(() => y[y.Gt(3)] = Tensor.Zeros([]));
    }

    [Fact]
    public void Rounding_keeps_integers_and_float_functions_of_integers_give_the_default_float()
    {
        var ints = Tensor.FromArray(new long[] { -3, 4 });
        Assert.Equal(DType.Int64, ints.Floor().DType);
        Assert.Equal(DType.Int64, ints.Square().DType);
        Assert.Equal(DType.Int64, ints.Fmod(Tensor.FromArray(new long[] { 2, 3 })).DType);
        Assert.Equal(new long[] { 1, 1 }, ints.Remainder(Tensor.FromArray(new long[] { 2, 3 })).ToArray<long>());
        Assert.Equal(Tensor.DefaultDType, ints.Sin().DType);
        Assert.Equal(Tensor.DefaultDType, ints.Atan2(ints).DType);
        Assert.Equal(new[] { false, false }, ints.IsNan().ToArray<bool>());
        Assert.Equal(new[] { true, true }, ints.IsFinite().ToArray<bool>());
    }

    [Fact]
    public void Round_takes_halves_to_even_and_floor_has_a_zero_gradient()
    {
        var x = Tensor.FromArray(new[] { -2.5, -1.5, 0.5, 1.5, 2.5 }, requiresGrad: true);
        Assert.Equal(new[] { -2.0, -2, 0, 2, 2 }, x.Round().ToArray<double>());
        x.Floor().Sum().Backward();
        Assert.All(x.Grad!.ToArray<double>(), g => Assert.Equal(0, g));
    }

    [Fact]
    public void Bad_arguments_name_the_op_and_the_shapes()
    {
        var x = Tensor.Zeros([2, 3]);
        Assert.Contains("MaskedFill", Assert.Throws<ArgumentException>(() => x.MaskedFill(x, 1)).Message);
        Assert.Contains("[2,3]", Assert.Throws<ArgumentException>(() => x.MaskedFill(Tensor.Ones([4], DType.Bool), 1))
            .Message);
        Assert.Contains("repeats a row", Assert.Throws<ArgumentException>(() =>
            Tensor.IndexPut(x, Tensor.FromArray(new long[] { 1, 1 }), Tensor.Randn([2, 3]))).Message);
        Assert.Contains("reflect", Assert.Throws<ArgumentException>(() => x.Pad([3, 0], "reflect")).Message);
        Assert.Contains("mode", Assert.Throws<ArgumentException>(() => x.Pad([1, 1], "mirror")).Message);
        Assert.Contains("'j'", Assert.Throws<ArgumentException>(() =>
            Tensor.Einsum("ij,jk->ik", x, Tensor.Zeros([4, 2]))).Message);
        Assert.Contains("2 operands", Assert.Throws<ArgumentException>(() => Tensor.Einsum("ij,jk->ik", x)).Message);
        Assert.Contains("\"amean\"", Assert.Throws<ArgumentException>(() =>
            x.ScatterReduce(0, Tensor.Zeros([1, 3], DType.Int64), x[..1], "amean")).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.OneHot(Tensor.FromArray(new long[] { 5 }), 3));
        Assert.Contains("square", Assert.Throws<ArgumentException>(() => Tensor.Det(x)).Message);
        Assert.Contains("order 2", Assert.Throws<ArgumentException>(() =>
            Tensor.Cholesky(Tensor.FromArray(new[] { 1.0, 2, 2, 1 }, [2, 2]))).Message);
        Assert.Contains("3 rows", Assert.Throws<ArgumentException>(() =>
            Tensor.Solve(Tensor.Diag(Tensor.Ones([3])), Tensor.Ones([2, 1]))).Message);
        Assert.Contains("Fmod: integer division by zero", Assert.Throws<ArgumentException>(() =>
            Tensor.FromArray(new long[] { 3 }).Fmod(Tensor.FromArray(new long[] { 0 }))).Message);
        var logits = Tensor.Zeros([2, 3]);
        Assert.Contains("class index 3", Assert.Throws<ArgumentException>(() =>
            F.CrossEntropy(logits, Tensor.FromArray(new long[] { -100, 3 }))).Message);
        Assert.Contains("one value per class", Assert.Throws<ArgumentException>(() =>
            F.CrossEntropy(logits, Tensor.FromArray(new long[] { 0, 1 }), weight: Tensor.Ones([2]))).Message);
        Assert.Contains("labelSmoothing", Assert.Throws<ArgumentException>(() =>
            F.CrossEntropy(logits, Tensor.FromArray(new long[] { 0, 1 }), labelSmoothing: 1.5)).Message);
    }

    [Fact]
    public void Sorting_is_stable_puts_NaN_last_and_keeps_integers()
    {
        var x = Tensor.FromArray(new[] { 3.0, double.NaN, 1, 3, -2, 1 });
        Assert.Equal(new long[] { 4, 2, 5, 0, 3, 1 }, x.Argsort().ToArray<long>());
        Assert.Equal(new long[] { 1, 0, 3, 2, 5, 4 }, x.Argsort(descending: true).ToArray<long>());
        var ints = Tensor.FromArray(new long[] { 5, -1, 5, 2 });
        var (values, indices) = ints.Sort();
        Assert.Equal(DType.Int64, values.DType);
        Assert.Equal(new long[] { -1, 2, 5, 5 }, values.ToArray<long>());
        Assert.Equal(new long[] { 1, 3, 0, 2 }, indices.ToArray<long>());
        var unique = Tensor.Unique(ints, returnCounts: true);
        Assert.Equal(new long[] { -1, 2, 5 }, unique.Values.ToArray<long>());
        Assert.Equal(new long[] { 1, 1, 2 }, unique.Counts!.ToArray<long>());
        Assert.Equal(new long[] { 0, 1, 1, 0, 0, 2 }, Tensor.Bincount(ints.Abs()).ToArray<long>());
        Assert.Equal(new long[] { 5, 4, 9, 11 }, ints.Cumsum(0).ToArray<long>());
        Assert.Equal(4, ints.CountNonzero().ToArray<long>()[0]);
    }

    [Fact]
    public void A_long_row_sorts_as_Array_Sort_does()
    {
        var values = Enumerable.Range(0, 1000).Select(i => (double)((i * 7919) % 1009)).ToArray();
        var sorted = Tensor.FromArray(values).Sort().Values.ToArray<double>();
        Assert.Equal(values.Order().ToArray(), sorted);
    }

    [Fact]
    public void Einsum_contracts_four_operands_as_the_chained_products()
    {
        var gen = new Generator(3);
        var (a, b, c, d) = (Tensor.Randn([2, 3], DType.Float64, gen), Tensor.Randn([3, 4], DType.Float64, gen),
            Tensor.Randn([4, 5], DType.Float64, gen), Tensor.Randn([5, 2], DType.Float64, gen));
        var expected = a.MatMul(b).MatMul(c).MatMul(d).ToArray<double>();
        var actual = Tensor.Einsum("ab,bc,cd,de->ae", a, b, c, d).ToArray<double>();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-12);
    }
}
