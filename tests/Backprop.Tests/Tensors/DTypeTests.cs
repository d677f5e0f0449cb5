using Backprop.Data;
using Backprop.IO;

namespace Backprop.Tests.Tensors;

/// <summary>
/// The Bool dtype, PyTorch's type promotion and the default dtype; the values PyTorch gives are in DTypeGoldenTests.
/// </summary>
public class DTypeTests
{
    private static Tensor Ints(params long[] values) => Tensor.FromArray(values);
    private static Tensor Bools(params bool[] values) => Tensor.FromArray(values);

    [Fact]
    public void Bool_tensors_are_made_read_and_printed_as_bool()
    {
        var b = Bools(true, false, true);
        Assert.Equal(DType.Bool, b.DType);
        Assert.Equal(1, b.DType.ElementSize());
        Assert.False(b.DType.IsFloatingPoint());
        Assert.Equal(new[] { true, false, true }, b.ToArray<bool>());
        Assert.Equal(new[] { 1f, 0f, 1f }, b.ToArray<float>());
        Assert.Equal(new[] { 1L, 0, 1 }, b.ToArray<long>());
        Assert.True(b[2].Item<bool>());
        Assert.False(Tensor.Zeros([], DType.Bool).Item<bool>());
        Assert.True(Tensor.Full([2], 0.5, DType.Bool).All().Item<bool>());
        Assert.Equal(new[] { false, true, true }, Tensor.FromArray(new[] { 0.0, -2, double.NaN }).ToArray<bool>());
        Assert.Equal("tensor([ True, False,  True])", b.ToString());
    }

    [Fact]
    public void Bool_never_requires_grad()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Bools(true).RequiresGrad = true);
        Assert.Contains("Bool", e.Message);
        var x = Tensor.FromArray(new[] { 1.0, -1 }, requiresGrad: true);
        Assert.False(x.Gt(0).RequiresGrad);
        Assert.False(x.To(DType.Bool).RequiresGrad);
    }

    [Fact]
    public void Comparisons_give_Bool_for_tensors_and_for_numbers()
    {
        var x = Tensor.FromArray(new[] { 1f, 2, float.NaN });
        var y = Tensor.FromArray(new[] { 2f, 2, float.NaN });
        Assert.Equal(new[] { false, false, false }, x.Gt(y).ToArray<bool>());
        Assert.Equal(new[] { false, true, false }, x.Ge(y).ToArray<bool>());
        Assert.Equal(new[] { true, false, false }, x.Lt(y).ToArray<bool>());
        Assert.Equal(new[] { true, true, false }, x.Le(y).ToArray<bool>());
        Assert.Equal(new[] { false, true, false }, x.Eq(y).ToArray<bool>());
        Assert.Equal(new[] { true, false, true }, x.Ne(y).ToArray<bool>());   // NaN differs from itself
        Assert.Equal(new[] { true, false, true }, x.Ne(2).ToArray<bool>());
        Assert.Equal(new[] { true, false, false }, x.Lt(1.5).ToArray<bool>());
        foreach (var c in new[] { x.Gt(y), x.Ge(1), x.Lt(1.5), x.Le(y), x.Eq(2L), x.Ne(y), Ints(1, 2).Eq(2) })
            Assert.Equal(DType.Bool, c.DType);
        // an Int64 tensor meeting a double compares as floats, as in PyTorch: 1 > 0.5, where truncating 0.5 gives 1 > 0
        Assert.Equal(new[] { false, true }, Ints(0, 1).Gt(0.5).ToArray<bool>());
        Assert.Equal(new[] { false, false }, Ints(0, 1).Eq(0.5).ToArray<bool>());
    }

    [Fact]
    public void Where_takes_a_Bool_condition_and_refuses_numbers()
    {
        var a = Tensor.FromArray(new[] { 1.0, 2, 3 });
        var b = Tensor.FromArray(new long[] { -1, -2, -3 });
        var y = Tensor.Where(Bools(true, false, true), a, b);
        Assert.Equal(DType.Float64, y.DType);
        Assert.Equal(new[] { 1.0, -2, 3 }, y.ToArray<double>());
        var e = Assert.Throws<ArgumentException>(() => Tensor.Where(Tensor.FromArray(new[] { 1f, 0, 1 }), a, a));
        Assert.Contains("Where", e.Message);
        Assert.Contains("Float32 [3]", e.Message);
    }

    [Fact]
    public void Bool_arithmetic_follows_PyTorch_and_subtraction_and_negation_are_refused()
    {
        var a = Bools(true, false, true, false);
        var b = Bools(true, true, false, false);
        Assert.Equal(DType.Bool, (a + b).DType);
        Assert.Equal(DType.Bool, (a * b).DType);
        foreach (var refused in new Func<Tensor>[] { () => a - b, () => a - 1, () => 1.5 - a, () => -a, () => a.Neg() })
        {
            var e = Assert.Throws<ArgumentException>(refused);
            Assert.Contains("Bool [4]", e.Message);
            Assert.Contains("LogicalNot", e.Message);
        }
        Assert.Contains("Pow", Assert.Throws<ArgumentException>(() => a.Pow(b)).Message);
        Assert.Contains("Bool [4]", Assert.Throws<ArgumentException>(() => a.Abs()).Message);
    }

    [Fact]
    public void Cat_promotes_mixed_dtypes_and_hands_each_input_its_gradient_in_its_own_dtype()
    {
        var a = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        var b = Tensor.FromArray(new double[] { 3 }, requiresGrad: true);
        var i = Tensor.FromArray(new long[] { 4 });
        var y = Tensor.Cat([a, b, i]);
        Assert.Equal(DType.Float64, y.DType);
        Assert.Equal(new double[] { 1, 2, 3, 4 }, y.ToArray<double>());
        (y * y).Sum().Backward();
        Assert.Equal(DType.Float32, a.Grad!.DType);
        Assert.Equal(new float[] { 2, 4 }, a.Grad.ToArray<float>());
        Assert.Equal(new double[] { 6 }, b.Grad!.ToArray<double>());
    }

    [Fact]
    public void Modules_and_loaders_make_the_default_float_dtype_unless_told()
    {
        Tensor.SetDefaultDType(DType.Float64);
        try
        {
            Assert.Equal(DType.Float64, new Backprop.Nn.Linear(2, 3).Weight.DType);
            Assert.Equal(DType.Float64, new Backprop.Nn.LayerNorm([3]).Weight!.DType);
            Assert.Equal(DType.Float32, new Backprop.Nn.Linear(2, 3, dtype: DType.Float32).Weight.DType);
            var data = new Dataset("pairs", [1, 2, 3, 4], featureCount: 2, labels: [0, 1], classes: 2);
            Assert.Equal(DType.Float64, data.ToTensors().Features.DType);
        }
        finally { Tensor.SetDefaultDType(DType.Float32); }
        Assert.Equal(DType.Float32, new Backprop.Nn.Linear(2, 3).Weight.DType);
    }

    [Fact]
    public void Floating_point_functions_of_integers_and_bools_run_in_the_default_float_dtype()
    {
        var e = (float)Math.E;
        var exp = Bools(true, false).Exp();
        Assert.Equal(DType.Float32, exp.DType);
        Assert.Equal(new[] { e, 1f }, exp.ToArray<float>());
        var roots = Tensor.FromArray(new long[] { 4, 9 }).Sqrt();
        Assert.Equal(DType.Float32, roots.DType);
        Assert.Equal(new[] { 2f, 3f }, roots.ToArray<float>());
        Tensor.SetDefaultDType(DType.Float64);
        try { Assert.Equal(DType.Float64, Tensor.FromArray(new long[] { 1 }).Log().DType); }
        finally { Tensor.SetDefaultDType(DType.Float32); }
    }

    [Fact]
    public void Logical_ops_treat_nonzero_as_true_and_broadcast()
    {
        var a = Bools(true, false);
        Assert.Equal(new[] { false, true }, a.LogicalNot().ToArray<bool>());
        var numbers = Tensor.FromArray(new[] { 0.0, 2, double.NaN });
        Assert.Equal(new[] { true, false, false }, numbers.LogicalNot().ToArray<bool>());
        var col = Bools(true, false).Reshape(2, 1);
        var row = Bools(true, false, true);
        Assert.Equal(new[] { true, false, true, false, false, false }, col.LogicalAnd(row).ToArray<bool>());
        Assert.Equal(new[] { true, true, true, true, false, true }, col.LogicalOr(row).ToArray<bool>());
        Assert.Equal(new[] { false, true, false, true, false, true }, col.LogicalXor(row).ToArray<bool>());
        var floats = Tensor.FromArray(new[] { 1f, 0.5f });
        Assert.Equal(new[] { false, true }, Ints(0, 3).LogicalAnd(floats).ToArray<bool>());
    }

    [Fact]
    public void Any_and_All_reduce_to_Bool_over_all_or_some_dims()
    {
        var x = Bools(true, false, false, false, false, true).Reshape(2, 3);
        Assert.True(x.Any().Item<bool>());
        Assert.False(x.All().Item<bool>());
        Assert.Equal(new[] { true, false, true }, x.Any(0).ToArray<bool>());
        Assert.Equal(new[] { false, false }, x.All(1).ToArray<bool>());
        Assert.Equal(new[] { 2, 1 }, x.Any(1, keepDim: true).Shape);
        Assert.Equal(DType.Bool, Ints(1, 2).All().DType);
        Assert.True(Ints(1, 2).All().Item<bool>());
        // over no elements, any is false and all is true
        var empty = Tensor.Zeros([2, 0], DType.Bool);
        Assert.Equal(new[] { false, false }, empty.Any(1).ToArray<bool>());
        Assert.Equal(new[] { true, true }, empty.All(1).ToArray<bool>());
    }

    [Fact]
    public void Summing_Bool_counts_in_Int64_as_accuracy_needs()
    {
        var predicted = Ints(0, 2, 1, 1);
        var labels = Ints(0, 1, 1, 1);
        var correct = predicted.Eq(labels).Sum();
        Assert.Equal(DType.Int64, correct.DType);
        Assert.Equal(3, correct.Item<long>());
        Assert.Equal(0.75, (correct / predicted.Numel).Item<float>());
        Assert.Equal(DType.Float32, predicted.Eq(labels).To(DType.Float32).Mean().DType);
        Assert.Contains("Mean", Assert.Throws<ArgumentException>(() => predicted.Eq(labels).Mean()).Message);
    }

    [Fact]
    public void A_long_keeps_Int64_and_a_double_promotes_to_the_default_float_dtype()
    {
        var i = Tensor.Arange(4, DType.Int64);
        int three = 3;
        short two = 2;
        // C# picks the long overload for integer literals and int or short variables, the double one otherwise
        Assert.Equal(DType.Int64, (i * 2).DType);
        Assert.Equal(DType.Int64, (2 * i).DType);
        Assert.Equal(DType.Int64, (i + three).DType);
        Assert.Equal(DType.Int64, (i - two).DType);
        Assert.Equal(DType.Int64, (three - i).DType);
        Assert.Equal(DType.Int64, i.Pow(2).DType);
        Assert.Equal(DType.Float32, (i * 2.5).DType);
        Assert.Equal(DType.Float32, (i + 0.5f).DType);
        Assert.Equal(DType.Float32, i.Pow(2.0).DType);
        Assert.Equal(DType.Float32, (i / 2).DType);           // true division
        Assert.Equal(DType.Float32, (1 / Tensor.Arange(1, 3, 1, DType.Int64)).DType);
        Assert.Equal(new[] { 0, 2.5f, 5, 7.5f }, (i * 2.5).ToArray<float>());
        Assert.Equal(new[] { 0.5f, 1.5f, 2.5f, 3.5f }, (i + 0.5).ToArray<float>());
        Assert.Equal(new[] { 0f, 0.5f, 1, 1.5f }, (i / 2).ToArray<float>());
        // a float tensor keeps its dtype with either
        var x = Tensor.FromArray(new[] { 1.0, 2 });
        Assert.Equal(DType.Float64, (x * 2).DType);
        Assert.Equal(DType.Float64, (x * 2.5).DType);
    }

    [Fact]
    public void Integer_powers_stay_integers_and_refuse_negative_scalar_exponents()
    {
        Assert.Equal(new[] { 1L, 8, -27, 0 }, Ints(1, 2, -3, 0).Pow(3).ToArray<long>());
        var e = Assert.Throws<ArgumentException>(() => Ints(2, 3).Pow(-1));
        Assert.Contains("Pow", e.Message);
        Assert.Contains("Int64 [2]", e.Message);
        Assert.Equal(new[] { 0.5f, 1f / 3 }, Ints(2, 3).Pow(-1.0).ToArray<float>());
    }

    [Fact]
    public void Float32_meeting_Float64_gives_Float64_and_gradients_in_each_input_dtype()
    {
        var a = Tensor.FromArray(new[] { 0.1f, 2f }, requiresGrad: true);
        var b = Tensor.FromArray(new[] { 0.3, -1.0 }, requiresGrad: true);
        var y = a * b + a - b / a;
        Assert.Equal(DType.Float64, y.DType);
        y.Sum().Backward();
        Assert.Equal(DType.Float32, a.Grad!.DType);
        Assert.Equal(DType.Float64, b.Grad!.DType);
        double a0 = 0.1f;   // a's value as Float64 sees it
        Assert.Equal(0.3 + 1 + 0.3 / (a0 * a0), a.Grad.ToArray<float>()[0], 1e-5);
        Assert.Equal(a0 - 1 / a0, b.Grad.ToArray<double>()[0], 1e-13);
        // a 0-dim tensor or a number does not widen a tensor with dimensions of the same category
        Assert.Equal(DType.Float32, (a * Tensor.Scalar(2, DType.Float64)).DType);
        Assert.Equal(DType.Float64, (Tensor.Arange(2, DType.Int64) * Tensor.Scalar(2, DType.Float64)).DType);
    }

    [Fact]
    public void Division_divides_in_every_path_and_never_multiplies_by_the_reciprocal()
    {
        // long enough for the vectorized and multithreaded spans; odd divisors round differently as reciprocals
        var rng = new Random(5);
        var values = Enumerable.Range(0, 70_001).Select(_ => (float)(rng.NextDouble() * 200 - 100)).ToArray();
        var divisors = Enumerable.Range(0, 70_001).Select(_ => (float)(rng.NextDouble() * 9 + 0.5)).ToArray();
        var x = Tensor.FromArray(values);
        foreach (float s in new[] { 3f, 7f, 0.1f, 10f })
        {
            Assert.Equal(values.Select(v => v / s).ToArray(), (x / (double)s).ToArray<float>());
            Assert.Equal(values.Select(v => v / s).ToArray(), (x / Tensor.Scalar(s)).ToArray<float>());
        }
        Assert.Equal(values.Select(v => v / 3).ToArray(), (x / 3).ToArray<float>());
        var quotients = values.Zip(divisors, (v, d) => v / d).ToArray();
        Assert.Equal(quotients, (x / Tensor.FromArray(divisors)).ToArray<float>());
        Assert.Equal(values.Select(v => 3 / v).ToArray(), (3 / x).ToArray<float>());
        var doubles = values.Select(v => v * 1.1).ToArray();
        Assert.Equal(doubles.Select(v => v / 3).ToArray(), (Tensor.FromArray(doubles) / 3).ToArray<double>());
        // the gradient of x / s is g / s as well
        var leaf = Tensor.FromArray(new[] { 1f, 2f }, requiresGrad: true);
        (leaf / 3).Backward(Tensor.FromArray(new[] { 1f, 10f }));
        Assert.Equal(new[] { 1f / 3, 10f / 3 }, leaf.Grad!.ToArray<float>());
    }

    [Fact]
    public void The_default_dtype_serves_creation_and_promotion_on_its_thread_only()
    {
        Assert.Equal(DType.Float32, Tensor.DefaultDType);
        Tensor.SetDefaultDType(DType.Float64);
        try
        {
            Assert.Equal(DType.Float64, Tensor.DefaultDType);
            var made = new[] { Tensor.Zeros([2]), Tensor.Ones([2]), Tensor.Full([2], 3), Tensor.Scalar(1),
                Tensor.Eye(2), Tensor.Arange(3), Tensor.Linspace(0, 1, 3), Tensor.Rand([2]), Tensor.Randn([2]) };
            foreach (var t in made)
                Assert.Equal(DType.Float64, t.DType);
            var i = Tensor.Arange(3, DType.Int64);
            Assert.Equal(DType.Float64, (i * 0.1).DType);
            Assert.Equal(0.2, (i * 0.1).ToArray<double>()[2]);
            Assert.Equal(DType.Float64, (i / i).DType);
            Assert.Equal(DType.Float32, (Tensor.Ones([2], DType.Float32) * 0.1).DType);
            Assert.Equal("tensor([1., 1.], dtype=Float32)", Tensor.Ones([2], DType.Float32).ToString());
            var other = DType.Float64;
            var thread = new Thread(() => other = Tensor.Zeros([1]).DType);
            thread.Start();
            thread.Join();
            Assert.Equal(DType.Float32, other);
        }
        finally { Tensor.SetDefaultDType(DType.Float32); }
        var e = Assert.Throws<ArgumentException>(() => Tensor.SetDefaultDType(DType.Int64));
        Assert.Contains("Int64", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.SetDefaultDType(DType.Bool));
    }

    [Fact]
    public void Masks_scale_Float64_in_Float64()
    {
        // a Bool mask times a double would be of the default Float32: dropout and LeakyReLU's gradient convert first
        var ones = Tensor.Ones([200], DType.Float64);
        var dropped = F.Dropout(ones, 0.3, generator: new Generator(1)).ToArray<double>();
        Assert.All(dropped, v => Assert.True(v == 0 || v == 1 / (1 - 0.3), $"{v:R}"));
        var x = Tensor.FromArray(new[] { -1.0, 2 }, requiresGrad: true);
        F.LeakyRelu(x, 0.01).Sum().Backward();
        Assert.Equal(new[] { 0.01, 1 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void Bool_tensors_index_copy_and_save()
    {
        var b = Bools(true, false, true, true);
        Assert.Equal(new[] { true, true, false }, b.IndexSelect(0, Ints(2, 0, 1)).ToArray<bool>());
        Assert.Equal(new[] { true, true, true, false }, Tensor.Cat([b[2..], b[..2]]).ToArray<bool>());
        var target = Tensor.Zeros([4], DType.Bool);
        using (Autograd.NoGrad()) target.Copy_(Tensor.FromArray(new[] { 0.0, 1, 0, 2 }));
        Assert.Equal(new[] { false, true, false, true }, target.ToArray<bool>());
        Assert.Contains("ScatterAdd", Assert.Throws<NotSupportedException>(
            () => Tensor.ScatterAdd(b, 0, Ints(0), Bools(true))).Message);
        string path = Path.Combine(Path.GetTempPath(), $"bool-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["mask"] = b.Reshape(2, 2) });
            var loaded = SafeTensors.Load(path)["mask"];
            Assert.Equal(DType.Bool, loaded.DType);
            Assert.Equal(new[] { 2, 2 }, loaded.Shape);
            Assert.Equal(b.ToArray<bool>(), loaded.ToArray<bool>());
        }
        finally { File.Delete(path); }
    }
}
