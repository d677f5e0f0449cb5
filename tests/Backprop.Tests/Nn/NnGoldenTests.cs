using Backprop.Tests.Tensors;

namespace Backprop.Tests.Nn;

/// <summary>The functional ops' outputs and input gradients against PyTorch's (tools/golden/make_golden.py, nn_ops.json).</summary>
public class NnGoldenTests : GoldenOpTests<NnGoldenTests>, IGoldenOps
{
    private static readonly long[] Target4 = [1, 0, 4, 2];
    private static readonly double[] RunningMean = [0.1, -0.2, 0.3];
    private static readonly double[] RunningVar = [0.5, 1.5, 1.0];

    private static Tensor Targets() => Tensor.FromArray(Target4);

    public static string File => "nn_ops.json";

    public static IReadOnlyDictionary<string, Func<Tensor[], Tensor>> Ops { get; } =
        new Dictionary<string, Func<Tensor[], Tensor>>
    {
        ["linear"] = x => F.Linear(x[0], x[1], x[2]),
        ["softmax"] = x => F.Softmax(x[0], 1),
        ["log_softmax"] = x => F.LogSoftmax(x[0], 0),
        ["cross_entropy"] = x => F.CrossEntropy(x[0], Targets()),
        ["cross_entropy_sum"] = x => F.CrossEntropy(x[0], Targets(), "sum"),
        ["cross_entropy_none"] = x => F.CrossEntropy(x[0], Targets(), "none"),
        ["nll_loss"] = x => F.NllLoss(F.LogSoftmax(x[0], 1), Targets()),
        ["multi_margin"] = x => F.MultiMarginLoss(x[0], Targets()),
        ["multi_margin_sum"] = x => F.MultiMarginLoss(x[0], Targets(), margin: 0.5, reduction: "sum"),
        ["mse"] = x => F.MseLoss(x[0], x[1]),
        ["bce_logits"] = x => F.BinaryCrossEntropyWithLogits(x[0], x[1]),
        ["conv2d"] = x => F.Conv2d(x[0], x[1], x[2], padding: 1),
        ["conv2d_groups"] = x => F.Conv2d(x[0], x[1], x[2], stride: 2, padding: 1, dilation: 2, groups: 2),
        ["max_pool2d"] = x => F.MaxPool2d(x[0], 3, stride: 2, padding: 1),
        ["avg_pool2d"] = x => F.AvgPool2d(x[0], 3, stride: 2, padding: 1),
        ["batch_norm_train"] = x => F.BatchNorm(x[0], Tensor.Zeros([3], x[0].DType), Tensor.Ones([3], x[0].DType), x[1], x[2], training: true),
        ["batch_norm_eval"] = x => F.BatchNorm(x[0], Tensor.FromArray(RunningMean).To(x[0].DType), Tensor.FromArray(RunningVar).To(x[0].DType), x[1], x[2]),
        ["layer_norm"] = x => F.LayerNorm(x[0], [3, 4], x[1], x[2]),
    };
}
