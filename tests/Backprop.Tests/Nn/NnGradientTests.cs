namespace Backprop.Tests.Nn;

/// <summary>Every functional op against centered differences in Float64, on three shapes each (one with single elements).</summary>
public class NnGradientTests
{
    private sealed record Case(Func<Tensor[], Tensor> F, int[][][] Shapes);

    // class indices spread over [0, classes) for a batch of n rows
    internal static Tensor Labels(int n, int classes) => Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)((i * 7 + 3) % classes)).ToArray());

    private static Tensor LabelsFor(Tensor scores) => Labels(scores.Shape[0], scores.Shape[1]);

    private static readonly int[][][] ScoreShapes = [[[4, 5]], [[3, 2]], [[1, 1]]];
    private static readonly int[][][] PairShapes = [[[3, 4], [3, 4]], [[2, 1, 3], [2, 1, 3]], [[1], [1]]];
    private static readonly int[][][] BatchNormShapes = [[[4, 3], [3], [3]], [[2, 3, 2, 2], [3], [3]], [[2, 1], [1], [1]]];

    private static Tensor TrainBatchNorm(Tensor[] x) =>
        F.BatchNorm(x[0], Tensor.Zeros([x[1].Shape[0]], DType.Float64), Tensor.Ones([x[1].Shape[0]], DType.Float64), x[1], x[2], training: true);

    private static Tensor EvalBatchNorm(Tensor[] x)
    {
        int c = x[1].Shape[0];
        var mean = Tensor.Linspace(-0.5, 0.5, c, DType.Float64);
        var variance = Tensor.Linspace(0.5, 2, c, DType.Float64);
        return F.BatchNorm(x[0], mean, variance, x[1], x[2], training: false);
    }

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["Linear"] = new(x => F.Linear(x[0], x[1], x[2]), [[[4, 3], [5, 3], [5]], [[2, 3, 3], [1, 3], [1]], [[1, 1], [1, 1], [1]]]),
        ["LinearNoBias"] = new(x => F.Linear(x[0], x[1]), [[[2, 3], [4, 3]], [[3], [2, 3]], [[1, 1], [1, 1]]]),
        ["LinearRelu"] = new(x => F.LinearRelu(x[0], x[1], x[2]), [[[4, 3], [5, 3], [5]], [[2, 3, 3], [1, 3], [1]], [[1, 1], [1, 1], [1]]]),
        ["LinearReluNoBias"] = new(x => F.LinearRelu(x[0], x[1]), [[[2, 3], [4, 3]], [[3], [2, 3]], [[1, 1], [1, 1]]]),
        ["Softmax"] = new(x => F.Softmax(x[0], 1), [[[3, 4]], [[2, 1, 3]], [[1, 1]]]),
        ["SoftmaxLastDim"] = new(x => F.Softmax(x[0], -1), [[[2, 3, 4]], [[5]], [[]]]),
        ["LogSoftmax"] = new(x => F.LogSoftmax(x[0], 0), [[[3, 4]], [[1, 2]], [[1]]]),
        ["CrossEntropyMean"] = new(x => F.CrossEntropy(x[0], LabelsFor(x[0])), ScoreShapes),
        ["CrossEntropySum"] = new(x => F.CrossEntropy(x[0], LabelsFor(x[0]), "sum"), ScoreShapes),
        ["CrossEntropyNone"] = new(x => F.CrossEntropy(x[0].T, LabelsFor(x[0].T), "none"), ScoreShapes),  // a transposed view
        ["NllLoss"] = new(x => F.NllLoss(F.LogSoftmax(x[0], 1), LabelsFor(x[0])), ScoreShapes),
        ["MultiMarginLoss"] = new(x => F.MultiMarginLoss(x[0], LabelsFor(x[0])), ScoreShapes),
        ["MultiMarginLossSum"] = new(x => F.MultiMarginLoss(x[0], LabelsFor(x[0]), margin: 0.5, reduction: "sum"), ScoreShapes),
        ["MseLoss"] = new(x => F.MseLoss(x[0], x[1]), PairShapes),
        ["MseLossNone"] = new(x => F.MseLoss(x[0], x[1], "none"), PairShapes),
        ["BinaryCrossEntropyWithLogits"] = new(x => F.BinaryCrossEntropyWithLogits(x[0] * 3, x[1].Sigmoid()), PairShapes),
        ["Conv2dPadded"] = new(x => F.Conv2d(x[0], x[1], x[2], padding: 1), [[[2, 3, 5, 5], [4, 3, 3, 3], [4]], [[1, 1, 3, 4], [2, 1, 2, 3], [2]], [[1, 1, 1, 1], [1, 1, 1, 1], [1]]]),
        ["Conv2dRelu"] = new(x => F.Conv2dRelu(x[0], x[1], x[2], padding: 1), [[[2, 3, 5, 5], [4, 3, 3, 3], [4]], [[1, 1, 3, 4], [2, 1, 2, 3], [2]], [[1, 1, 1, 1], [1, 1, 1, 1], [1]]]),
        ["Conv2dStrideDilationGroups"] = new(x => F.Conv2d(x[0], x[1], x[2], stride: 2, padding: 1, dilation: 2, groups: 2),
            [[[1, 4, 6, 7], [4, 2, 3, 2], [4]], [[2, 2, 5, 5], [2, 1, 2, 2], [2]], [[1, 2, 1, 1], [2, 1, 1, 1], [2]]]),
        ["Conv2dDepthwiseStride3"] = new(x => F.Conv2d(x[0], x[1], stride: 3, groups: 3), [[[2, 3, 7, 7], [6, 1, 2, 2]], [[1, 3, 3, 3], [3, 1, 3, 3]], [[1, 3, 4, 1], [3, 1, 1, 1]]]),
        ["MaxPool2dOverlapping"] = new(x => F.MaxPool2d(x[0], 3, stride: 2, padding: 1), [[[2, 2, 5, 5]], [[1, 1, 4, 6]], [[1, 1, 1, 1]]]),
        ["MaxPool2d"] = new(x => F.MaxPool2d(x[0], 2), [[[2, 3, 4, 4]], [[1, 1, 5, 3]], [[1, 1, 2, 2]]]),
        ["MaxPool2dDilated"] = new(x => F.MaxPool2d(x[0], 2, stride: 1, dilation: 2), [[[1, 2, 5, 5]], [[2, 1, 3, 4]], [[1, 1, 3, 3]]]),
        ["AvgPool2dOverlapping"] = new(x => F.AvgPool2d(x[0], 3, stride: 2, padding: 1), [[[2, 2, 5, 5]], [[1, 1, 4, 6]], [[1, 1, 1, 1]]]),
        ["AvgPool2d"] = new(x => F.AvgPool2d(x[0], 2), [[[2, 3, 4, 4]], [[1, 1, 5, 3]], [[1, 1, 2, 2]]]),
        ["BatchNormTraining"] = new(TrainBatchNorm, BatchNormShapes),
        ["BatchNormEvaluation"] = new(EvalBatchNorm, BatchNormShapes),
        ["LayerNorm"] = new(x => F.LayerNorm(x[0], x[1].Shape, x[1], x[2]), [[[3, 4], [4], [4]], [[2, 3, 4], [3, 4], [3, 4]], [[1, 1], [1], [1]]]),
        ["Dropout"] = new(x => F.Dropout(x[0], 0.3, training: true, generator: new Generator(5)), [[[3, 4]], [[2, 1, 3]], [[1]]]),
        ["GroupNorm"] = new(x => F.GroupNorm(x[0], 2, x[1], x[2]),
            [[[2, 4, 3], [4], [4]], [[1, 6, 2, 2], [6], [6]], [[1, 2, 2], [2], [2]]]),
        ["InstanceNorm"] = new(x => F.InstanceNorm(x[0], weight: x[1], bias: x[2]),
            [[[2, 3, 4], [3], [3]], [[1, 2, 3, 3], [2], [2]], [[1, 1, 2], [1], [1]]]),
        ["InstanceNormRunningStatistics"] = new(x => F.InstanceNorm(x[0],
            Tensor.Linspace(-0.5, 0.5, x[1].Shape[0], DType.Float64), Tensor.Linspace(0.5, 2, x[1].Shape[0],
                DType.Float64), x[1], x[2], useInputStats: false),
            [[[2, 3, 4], [3], [3]], [[1, 2, 3, 3], [2], [2]], [[1, 1, 1], [1], [1]]]),
        ["RmsNorm"] = new(x => F.RmsNorm(x[0], x[1].Shape, x[1]), [[[3, 4], [4]], [[2, 3, 4], [3, 4]], [[1, 1], [1]]]),
        ["LayerNormPlain"] = new(x => F.LayerNorm(x[0], [x[0].Shape[^1]]), [[[3, 4]], [[2, 3, 5]], [[1, 2]]]),
        ["Dropout2d"] = new(x => F.Dropout2d(x[0], 0.5, training: true, generator: new Generator(5)),
            [[[2, 3, 2, 2]], [[3, 2, 2]], [[1, 1, 1, 1]]]),
    };

    public static TheoryData<string, int> All()
    {
        var data = new TheoryData<string, int>();
        foreach (var (name, c) in Cases)
            for (int i = 0; i < c.Shapes.Length; i++) data.Add(name, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Gradient_matches_centered_differences(string name, int shapeIndex)
    {
        var c = Cases[name];
        var gen = new Generator(100 + shapeIndex);
        var inputs = c.Shapes[shapeIndex].Select(s => Tensor.Randn(s, DType.Float64, gen, requiresGrad: true)).ToArray();
        var result = GradCheck.Check(c.F, inputs);
        Assert.True(result.Passed, $"{name} {string.Join(" ", c.Shapes[shapeIndex].Select(s => "[" + string.Join(",", s) + "]"))}\n{result}");
    }

    public static TheoryData<string> SecondOrder => new("Linear", "LinearRelu", "Softmax", "SoftmaxLastDim", "LogSoftmax", "CrossEntropyMean", "CrossEntropySum", "MseLoss",
        "BinaryCrossEntropyWithLogits", "Conv2dStrideDilationGroups", "Conv2dRelu", "AvgPool2dOverlapping", "LayerNorm",
        "GroupNorm", "InstanceNorm", "RmsNorm");

    [Theory]
    [MemberData(nameof(SecondOrder))]
    public void Second_derivatives_match_centered_differences(string name)
    {
        var c = Cases[name];
        var gen = new Generator(7);
        var inputs = c.Shapes[0].Select(s => Tensor.Randn(s, DType.Float64, gen, requiresGrad: true)).ToArray();
        var result = GradCheck.GradGradCheck(c.F, inputs);
        Assert.True(result.Passed, $"{name}\n{result}");
    }

    // the row kernel against softmax's spelling in tensor ops: values and gradient, with a row partly masked to −∞
    // and one wholly masked (NaN, as in PyTorch), on a block large enough to use the threads
    [Theory]
    [InlineData(DType.Float32, 1e-6)]
    [InlineData(DType.Float64, 1e-14)]
    public void Softmax_kernel_equals_its_spelling_in_ops(DType dtype, double tol)
    {
        var gen = new Generator(12);
        var values = (Tensor.Randn([300, 130], DType.Float64, gen) * 4).ToArray<double>();
        Array.Fill(values, double.NegativeInfinity, 0, 70);
        Array.Fill(values, double.NegativeInfinity, 130, 130);
        var x = Tensor.FromArray(values, [300, 130]).To(dtype);
        var g = Tensor.Randn(x.shape, dtype, gen);
        var (a, b) = (x.Detach().RequiresGrad_(), x.Detach().RequiresGrad_());
        var kernel = F.Softmax(a, -1);
        (kernel * g).Sum().Backward();
        var inOps = F.SoftmaxInOps(b, 1);
        (inOps * g).Sum().Backward();
        Assert.True(double.IsNaN(kernel[1, 0].Item()) && kernel[0, 69].Item() == 0);
        foreach (var (k, o) in new[] { (kernel, inOps), (a.Grad!, b.Grad!) })
        {
            var (p, q) = (k.ToArray<double>(), o.ToArray<double>());
            for (int i = 0; i < p.Length; i++)
            {
                bool close = double.IsNaN(q[i])
                    ? double.IsNaN(p[i]) : Math.Abs(p[i] - q[i]) <= tol * Math.Max(1, Math.Abs(q[i]));
                Assert.True(close, $"[{i}]: {p[i]} vs {q[i]}");
            }
        }
    }
}
