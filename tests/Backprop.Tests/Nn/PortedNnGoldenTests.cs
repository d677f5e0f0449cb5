using Backprop.Tests.Tensors;

namespace Backprop.Tests.Nn;

/// <summary>
/// Group, instance and RMS normalization, QR and the CTC loss against PyTorch's outputs and input gradients
/// (tools/golden/make_ported_nn_golden.py, ported_nn.json), in Float64 and Float32; then what QR and CTC promise
/// beyond the goldens.
/// </summary>
public class PortedNnGoldenTests : GoldenOpTests<PortedNnGoldenTests>, IGoldenOps
{
    // the constants of tools/golden/make_ported_nn_golden.py
    private static readonly double[] RunningMean = [0.5, -0.25, 1.0];
    private static readonly double[] RunningVar = [2.0, 0.5, 1.5];
    private static readonly long[] CtcTargets = [1, 2, 2, 3, 1, 0, 2, 2, 2];
    private static readonly long[] CtcTargetLengths = [3, 2, 3];
    private static readonly long[] CtcInputLengths = [6, 5, 4];

    private static Tensor Constant(Tensor like, double[] values) => Tensor.FromArray(values).To(like.DType);

    private static Tensor Ints(params long[] values) => Tensor.FromArray(values);

    private static Tensor InstanceNormRunningUpdate(Tensor x)
    {
        var (mean, variance) = (Constant(x, RunningMean), Constant(x, RunningVar));
        F.InstanceNorm(x, mean, variance, useInputStats: true, momentum: 0.3);
        return Tensor.Cat([mean, variance]);
    }

    // the inputs are logits, as in the generator: PyTorch's CTC gradient holds for log-probabilities from LogSoftmax
    private static Tensor Ctc(Tensor logits, Tensor? targets = null, long[]? targetLengths = null,
        long[]? inputLengths = null, int blank = 0, string reduction = "mean", bool zeroInfinity = false) =>
        F.CtcLoss(F.LogSoftmax(logits, 2), targets ?? Ints(CtcTargets).Reshape(3, 3),
            Ints(inputLengths ?? CtcInputLengths), Ints(targetLengths ?? CtcTargetLengths), blank, reduction,
            zeroInfinity);

    public static string File => "ported_nn.json";

    public static IReadOnlyDictionary<string, Func<Tensor[], Tensor>> Ops { get; } =
        new Dictionary<string, Func<Tensor[], Tensor>>
    {
        ["group_norm"] = x => F.GroupNorm(x[0], 3, x[1], x[2]),
        ["group_norm_plain"] = x => F.GroupNorm(x[0], 2, eps: 1e-3),
        ["group_norm_one_group"] = x => F.GroupNorm(x[0], 1, x[1]),
        ["instance_norm"] = x => F.InstanceNorm(x[0]),
        ["instance_norm_affine"] = x => F.InstanceNorm(x[0], weight: x[1], bias: x[2], eps: 1e-3),
        ["instance_norm_running"] = x => F.InstanceNorm(x[0], Constant(x[0], RunningMean),
            Constant(x[0], RunningVar), x[1], x[2], useInputStats: false),
        ["instance_norm_running_update"] = x => InstanceNormRunningUpdate(x[0]),
        ["rms_norm"] = x => F.RmsNorm(x[0], [5], x[1], 1e-6),
        ["rms_norm_default_eps"] = x => F.RmsNorm(x[0], [3, 4]),
        ["layer_norm_plain"] = x => F.LayerNorm(x[0], [3, 4]),
        ["qr_q"] = x => Tensor.Qr(x[0]).Q,
        ["qr_r"] = x => Tensor.Qr(x[0]).R,
        ["qr_square"] = x => Tensor.Qr(x[0]).Q + Tensor.Qr(x[0]).R,
        ["qr_wide_q"] = x => Tensor.Qr(x[0]).Q,
        ["qr_wide_r"] = x => Tensor.Qr(x[0]).R,
        ["qr_triangular_r"] = x => Tensor.Qr(x[0].Triu()).R,
        ["ctc_mean"] = x => Ctc(x[0], zeroInfinity: true),
        ["ctc_sum"] = x => Ctc(x[0], reduction: "sum", zeroInfinity: true),
        ["ctc_none"] = x => Ctc(x[0], inputLengths: [6, 5, 6], reduction: "none"),
        ["ctc_blank_last"] = x => Ctc(x[0], Ints(0, 1, 1, 2, 0, 1, 1, 1, 1).Reshape(3, 3),
            [3, 2, 1], blank: 3),
        ["ctc_flat_targets"] = x => Ctc(x[0], Ints(1, 2, 2, 3, 1), [3, 2, 0], zeroInfinity: true),
    };

    [Fact]
    public void Qr_gives_orthonormal_columns_and_an_upper_triangle_whose_product_is_the_input()
    {
        foreach (int[] shape in new[] { new[] { 2, 5, 3 }, [3, 3], [2, 6] })
        {
            var a = Tensor.Randn(shape, DType.Float64, new Generator(31));
            var (q, r) = Tensor.Qr(a);
            int k = Math.Min(shape[^2], shape[^1]);
            Assert.Equal([.. shape[..^1], k], q.Shape);
            Assert.Equal([.. shape[..^2], k, shape[^1]], r.Shape);
            Assert.True((q.MatMul(r) - a).Abs().Max().Item<double>() < 1e-12);
            var eye = Tensor.Diag(Tensor.Ones([k], DType.Float64));
            Assert.True((q.MT.MatMul(q) - eye).Abs().Max().Item<double>() < 1e-12);
            Assert.Equal(0, (r - r.Triu()).Abs().Max().Item<double>());
        }
        var error = Assert.Throws<ArgumentException>(() => Tensor.Qr(Tensor.Ones([3])));
        Assert.Contains("Qr", error.Message);
    }

    [Fact]
    public void Ctc_loss_of_a_target_that_cannot_fit_is_infinite_unless_zero_infinity()
    {
        // three equal labels need two blanks between them: five steps, and there are four
        var logits = Tensor.Randn([4, 1, 3], DType.Float64, new Generator(32), requiresGrad: true);
        var (targets, inputLengths, targetLengths) = (Ints(1, 1, 1).Reshape(1, 3), Ints(4), Ints(3));
        var loss = F.CtcLoss(F.LogSoftmax(logits, 2), targets, inputLengths, targetLengths, reduction: "none");
        Assert.Equal(double.PositiveInfinity, loss.ToArray<double>()[0]);
        var zeroed = F.CtcLoss(F.LogSoftmax(logits, 2), targets, inputLengths, targetLengths, zeroInfinity: true);
        Assert.Equal(0, zeroed.Item<double>());
        zeroed.Backward();
        Assert.All(logits.Grad!.ToArray<double>(), g => Assert.Equal(0, g));
        // with five steps the only alignment is 1, blank, 1, blank, 1
        var five = Tensor.Randn([5, 1, 3], DType.Float64, new Generator(33));
        var logProbs = F.LogSoftmax(five, 2);
        var path = logProbs[0, 0, 1] + logProbs[1, 0, 0] + logProbs[2, 0, 1] + logProbs[3, 0, 0] + logProbs[4, 0, 1];
        var only = F.CtcLoss(logProbs, targets, Ints(5), targetLengths, reduction: "sum");
        Assert.Equal(-path.Item<double>(), only.Item<double>(), 12);
    }

    [Fact]
    public void Ctc_loss_takes_an_unbatched_input_and_refuses_a_blank_in_the_target()
    {
        var logProbs = F.LogSoftmax(Tensor.Randn([6, 4], DType.Float64, new Generator(34)), 1);
        var unbatched = F.CtcLoss(logProbs, Ints(2, 3), Tensor.FromArray(new long[] { 6 }).Reshape(),
            Tensor.FromArray(new long[] { 2 }).Reshape(), reduction: "none");
        var batched = F.CtcLoss(logProbs.Unsqueeze(1), Ints(2, 3).Reshape(1, 2), Ints(6), Ints(2), reduction: "none");
        Assert.Empty(unbatched.Shape);
        Assert.Equal(batched.Item<double>(), unbatched.Item<double>());
        var error = Assert.Throws<ArgumentException>(() =>
            F.CtcLoss(logProbs.Unsqueeze(1), Ints(0, 3).Reshape(1, 2), Ints(6), Ints(2)));
        Assert.Contains("CtcLoss", error.Message);
        Assert.Contains("blank", error.Message);
        error = Assert.Throws<ArgumentException>(() =>
            F.CtcLoss(logProbs.Unsqueeze(1), Ints(2, 3).Reshape(1, 2), Ints(7), Ints(2)));
        Assert.Contains("[6,1,4]", error.Message);
    }
}
