namespace Backprop.Tests.Nn;

/// <summary>Values worked by hand, numerical stability, running statistics, dropout masks, and refused input.</summary>
public class NnBehaviourTests
{
    private static Tensor Matrix(double[,] values)
    {
        int rows = values.GetLength(0), cols = values.GetLength(1);
        return Tensor.FromArray(values.Cast<double>().ToArray(), [rows, cols]);
    }

    // the largest score first and last: shifted by any other score, the exponentials would overflow
    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void Cross_entropy_stays_finite_for_huge_logits_and_its_gradient_is_softmax_minus_onehot(DType dtype)
    {
        var logits = Matrix(new double[,] { { 1000, 0, -1000 }, { 0, 0, 0 }, { -1000, 0, 1000 } }).To(dtype).RequiresGrad_();
        var loss = F.CrossEntropy(logits, Tensor.FromArray(new long[] { 1, 2, 0 }), "none");
        var tolerance = new ToleranceComparer(dtype == DType.Float64 ? 1e-12 : 1e-6);
        Assert.Equal(new[] { 1000, Math.Log(3), 2000 }, loss.To(DType.Float64).ToArray<double>(), tolerance);
        loss.Sum().Backward();
        Assert.Equal(new[] { 1, -1, 0, 1 / 3.0, 1 / 3.0, 1 / 3.0 - 1, -1, 0, 1 }, logits.Grad!.To(DType.Float64).ToArray<double>(), tolerance);
    }

    // Rows shorter than 32 classes take plain loops, longer ones vectorized calls; both must give log Σ e^x − x_target
    // and softmax − onehot as worked in double here, and a NaN anywhere in a row must make that row's loss NaN.
    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(100)]
    public void Cross_entropy_matches_log_sum_exp_on_short_and_long_rows(int classes)
    {
        const int rows = 5;
        var values = new float[rows * classes];
        var random = new Random(classes);
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 40 - 20);
        values[3 * classes + classes / 2] = float.NaN;
        var target = Enumerable.Range(0, rows).Select(i => (long)(i * 7 % classes)).ToArray();
        var logits = Tensor.FromArray(values, [rows, classes], requiresGrad: true);
        var loss = F.CrossEntropy(logits, Tensor.FromArray(target), "none");
        loss.Backward(Tensor.FromArray(new float[] { 1, 2, 0.5f, 1, -1 }));
        var losses = loss.ToArray<float>();
        var grad = logits.Grad!.ToArray<float>();
        float[] upstream = [1, 2, 0.5f, 1, -1];
        for (int i = 0; i < rows; i++)
        {
            var row = values.Skip(i * classes).Take(classes).Select(v => (double)v).ToArray();
            if (i == 3)
            {
                Assert.True(float.IsNaN(losses[i]), $"row {i} holds a NaN, loss {losses[i]}");
                continue;
            }
            double max = row.Max(), lse = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            Assert.Equal(lse - row[target[i]], losses[i], 1e-4);
            for (int j = 0; j < classes; j++)
            {
                double expected = upstream[i] * (Math.Exp(row[j] - lse) - (j == target[i] ? 1 : 0));
                Assert.Equal(expected, grad[i * classes + j], 1e-5);
            }
        }
    }

    [Fact]
    public void Multi_margin_loss_sums_the_hinges_of_the_wrong_classes_over_the_class_count()
    {
        var scores = Matrix(new double[,] { { 1, 2, 3 }, { 0.5, -2, 0 } });
        var loss = F.MultiMarginLoss(scores, Tensor.FromArray(new long[] { 0, 0 }), reduction: "none");
        // row 0: (1 − 1 + 2) + (1 − 1 + 3) = 5; row 1: max(0, 1 − 0.5 − 2) + (1 − 0.5 + 0) = 0.5
        Assert.Equal(new[] { 5 / 3.0, 0.5 / 3 }, loss.ToArray<double>(), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Binary_cross_entropy_with_logits_is_stable_at_extreme_logits()
    {
        var logits = Tensor.FromArray(new double[] { 100, -100, 0 });
        var loss = F.BinaryCrossEntropyWithLogits(logits, Tensor.FromArray(new double[] { 0, 0, 1 }), "none");
        Assert.Equal(new[] { 100, Math.Exp(-100), Math.Log(2) }, loss.ToArray<double>(), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Batch_norm_training_updates_running_stats_with_the_unbiased_variance()
    {
        var x = Matrix(new double[,] { { 1, 10 }, { 2, 20 }, { 6, 30 } });
        var mean = Tensor.FromArray(new double[] { 1, 1 });
        var variance = Tensor.FromArray(new double[] { 2, 2 });
        var y = F.BatchNorm(x, mean, variance, training: true, momentum: 0.5);
        Assert.Equal(new[] { 0.5 * 1 + 0.5 * 3, 0.5 * 1 + 0.5 * 20 }, mean.ToArray<double>(), new ToleranceComparer(1e-12));
        Assert.Equal(new[] { 0.5 * 2 + 0.5 * 7, 0.5 * 2 + 0.5 * 100 }, variance.ToArray<double>(), new ToleranceComparer(1e-12));
        // normalized by the biased batch variance: column 0 has mean 3 and variance 14/3
        Assert.Equal(-2 / Math.Sqrt(14 / 3.0 + 1e-5), y.ToArray<double>()[0], 12);
        Assert.False(mean.RequiresGrad || mean.GradFn is not null);
    }

    [Fact]
    public void Batch_norm_evaluation_normalizes_with_the_running_stats_and_leaves_them_alone()
    {
        var x = Matrix(new double[,] { { 1, 10 }, { 3, 20 } });
        var mean = Tensor.FromArray(new double[] { 1, 10 });
        var variance = Tensor.FromArray(new double[] { 4, 1 });
        var y = F.BatchNorm(x, mean, variance, Tensor.FromArray(new double[] { 2, 1 }), Tensor.FromArray(new double[] { 0, 5 }), eps: 0);
        Assert.Equal(new double[] { 0, 5, 2, 15 }, y.ToArray<double>(), new ToleranceComparer(1e-12));
        Assert.Equal(new double[] { 1, 10 }, mean.ToArray<double>());
    }

    [Fact]
    public void Dropout_keeps_about_one_minus_p_scales_survivors_and_repeats_with_the_same_seed()
    {
        var x = Tensor.Ones([100, 100], DType.Float64).RequiresGrad_();
        var y = F.Dropout(x, 0.25, training: true, generator: new Generator(3));
        var values = y.ToArray<double>();
        Assert.All(values, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75) < 1e-12));
        double dropped = values.Count(v => v == 0) / (double)values.Length;
        Assert.InRange(dropped, 0.23, 0.27);
        Assert.Equal(values, F.Dropout(x, 0.25, generator: new Generator(3)).ToArray<double>());
        y.Sum().Backward();
        Assert.Equal(values, x.Grad!.ToArray<double>());           // the gradient is the same scaled mask
        Assert.Same(x, F.Dropout(x, 0.25, training: false));
        Assert.All(F.Dropout(x, 1).ToArray<double>(), v => Assert.Equal(0, v));
    }

    // A batch of no images is not bad input (PyTorch returns an empty result): the output is [0, O, H, W], and the
    // parameters' gradients are sums over no images, zero.
    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    public void A_convolution_of_an_empty_batch_is_empty_and_its_parameter_gradients_are_zero(int groups, bool relu)
    {
        var x = Tensor.Zeros([0, 4, 5, 5], requiresGrad: true);
        var w = Tensor.Ones([6, 4 / groups, 3, 3], requiresGrad: true);
        var b = Tensor.Ones([6], requiresGrad: true);
        var y = relu ? F.Conv2dRelu(x, w, b, padding: 1, groups: groups) : F.Conv2d(x, w, b, padding: 1, groups: groups);
        Assert.Equal([0, 6, 5, 5], y.Shape);
        y.Sum().Backward();
        Assert.Equal(new float[w.Numel], w.Grad!.ToArray<float>());
        Assert.Equal(new float[6], b.Grad!.ToArray<float>());
        Assert.Equal([0, 4, 5, 5], x.Grad!.Shape);
    }

    [Fact]
    public void Bad_shapes_are_refused_with_the_op_and_the_shapes()
    {
        var conv = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros([2, 3, 8, 8]), Tensor.Zeros([4, 2, 3, 3])));
        Assert.Equal("Conv2d: input [2,3,8,8] has 3 channels but weight [4,2,3,3] expects 2·groups=2", conv.Message);
        var linear = Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros([2, 5]), Tensor.Zeros([3, 4])));
        Assert.Equal("Linear: input [2,5] has 5 features but weight [3,4] expects 4", linear.Message);
        Assert.Contains("[3,4] and target [4,3]", Assert.Throws<ArgumentException>(() => F.MseLoss(Tensor.Zeros([3, 4]), Tensor.Zeros([4, 3]))).Message);
        Assert.Contains("does not fit input [1,1,2,2]", Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros([1, 1, 2, 2]), Tensor.Zeros([1, 1, 3, 3]))).Message);
        Assert.Contains("MaxPool2d: input must be [N, C, H, W], got [3,4,4]", Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros([3, 4, 4]), 2)).Message);
        Assert.Contains("CrossEntropy: target [3] does not match input [2,4]",
            Assert.Throws<ArgumentException>(() => F.CrossEntropy(Tensor.Zeros([2, 4]), Tensor.FromArray(new long[] { 0, 1, 2 }))).Message);
        Assert.Contains("LayerNorm: input [2,3] does not end with the normalized shape [2]",
            Assert.Throws<ArgumentException>(() => F.LayerNorm(Tensor.Zeros([2, 3]), [2])).Message);
        Assert.Contains("\"avg\"", Assert.Throws<ArgumentException>(() => F.MseLoss(Tensor.Zeros([1]), Tensor.Zeros([1]), "avg")).Message);
    }

    [Fact]
    public void Class_targets_must_be_int64_indices_in_range()
    {
        var logits = Tensor.Zeros([3, 4]);
        var floats = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, Tensor.FromArray(new float[] { 0, 1, 2 })));
        Assert.Contains("CrossEntropy: target must hold Int64 class indices, got Float32", floats.Message);
        var high = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, Tensor.FromArray(new long[] { 0, 4, 1 })));
        Assert.Equal("CrossEntropy: row 1 has target class index 4, out of range for 4 classes (input [3,4])", high.Message);
        var negative = Assert.Throws<ArgumentException>(() => F.MultiMarginLoss(logits, Tensor.FromArray(new long[] { 0, 1, -1 })));
        Assert.Contains("row 2 has target class index -1", negative.Message);
        Assert.Contains("NllLoss", Assert.Throws<ArgumentException>(() => F.NllLoss(logits, Tensor.FromArray(new long[] { 9, 0, 0 }))).Message);
    }

    [Fact]
    public void Batch_norm_that_throws_leaves_the_running_stats_unchanged()
    {
        var mean = Tensor.FromArray(new double[] { 0.5, -0.5 });
        var variance = Tensor.FromArray(new double[] { 2, 3 });
        var x = Tensor.Randn([4, 2], DType.Float64);
        var badWeight = Assert.Throws<ArgumentException>(() => F.BatchNorm(x, mean, variance, Tensor.Ones([3], DType.Float64), training: true));
        Assert.Equal("BatchNorm: weight [3] does not match input [4,2]: expected [2]", badWeight.Message);
        Assert.Throws<ArgumentException>(() => F.BatchNorm(Tensor.Randn([1, 2], DType.Float64), mean, variance, training: true));
        Assert.Throws<ArgumentException>(() => F.BatchNorm(x.To(DType.Float32), mean, variance, training: true));
        Assert.Equal(new[] { 0.5, -0.5 }, mean.ToArray<double>());
        Assert.Equal(new double[] { 2, 3 }, variance.ToArray<double>());
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance * Math.Max(1, Math.Abs(b));
        public int GetHashCode(double value) => 0;
    }
}
