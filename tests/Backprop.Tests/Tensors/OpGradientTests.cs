namespace Backprop.Tests.Tensors;

/// <summary>Every differentiable op against centered differences in Float64, on three shapes each.</summary>
public class OpGradientTests
{
    private enum Domain { Any, Positive, Unit }

    private sealed record Case(Func<Tensor[], Tensor> F, int[][][] Shapes, Domain Domain = Domain.Any);

    // unary ops: a matrix, a size-1 dim in the middle, and a 0-dim tensor
    private static readonly int[][][] UnaryShapes = [[[3, 4]], [[2, 1, 3]], [[]]];
    // binary ops: equal shapes, broadcasting against size-1 dims, and a single-element operand
    private static readonly int[][][] BinaryShapes = [[[3, 4], [3, 4]], [[2, 3, 1], [1, 4]], [[], [2, 3]]];
    private static readonly int[][][] ReduceShapes = [[[3, 4]], [[2, 3, 5]], [[1, 4]]];

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["Add"] = new(x => x[0] + x[1], BinaryShapes),
        ["Sub"] = new(x => x[0] - x[1], BinaryShapes),
        ["Mul"] = new(x => x[0] * x[1], BinaryShapes),
        ["Div"] = new(x => x[0] / x[1], BinaryShapes, Domain.Positive),
        ["PowTensor"] = new(x => x[0].Pow(x[1]), BinaryShapes, Domain.Positive),
        ["Maximum"] = new(x => x[0].Maximum(x[1]), BinaryShapes),
        ["Minimum"] = new(x => x[0].Minimum(x[1]), BinaryShapes),
        ["Where"] = new(x => Tensor.Where(x[0].Gt(0), x[0] * 2, x[1]), BinaryShapes),
        ["ScalarArithmetic"] = new(x => (3 - x[0]) * 2 / 5 + 1 - x[0] / 4, UnaryShapes),
        ["RDiv"] = new(x => 2 / x[0], UnaryShapes, Domain.Positive),
        ["Neg"] = new(x => -x[0], UnaryShapes),
        ["PowScalar"] = new(x => x[0].Pow(3) + x[0].Pow(0.5), UnaryShapes, Domain.Positive),
        ["Exp"] = new(x => x[0].Exp(), UnaryShapes),
        ["Log"] = new(x => x[0].Log(), UnaryShapes, Domain.Positive),
        ["Sqrt"] = new(x => x[0].Sqrt(), UnaryShapes, Domain.Positive),
        ["Abs"] = new(x => x[0].Abs(), UnaryShapes),
        ["Tanh"] = new(x => x[0].Tanh(), UnaryShapes),
        ["Sigmoid"] = new(x => x[0].Sigmoid(), UnaryShapes),
        ["Relu"] = new(x => x[0].Relu(), UnaryShapes),
        ["LeakyRelu"] = new(x => F.LeakyRelu(x[0], 0.1), UnaryShapes),
        ["Gelu"] = new(x => F.Gelu(x[0]), UnaryShapes),
        ["GeluTanh"] = new(x => F.Gelu(x[0], tanhApproximation: true), UnaryShapes),
        ["Silu"] = new(x => F.Silu(x[0]), UnaryShapes),
        ["Softplus"] = new(x => F.Softplus(x[0]), UnaryShapes),
        ["Clamp"] = new(x => x[0].Clamp(-0.5, 0.5), UnaryShapes),
        ["Sin"] = new(x => x[0].Sin(), UnaryShapes),
        ["Cos"] = new(x => x[0].Cos(), UnaryShapes),
        ["Tan"] = new(x => x[0].Tan(), UnaryShapes, Domain.Unit),
        ["Asin"] = new(x => x[0].Asin(), UnaryShapes, Domain.Unit),
        ["Acos"] = new(x => x[0].Acos(), UnaryShapes, Domain.Unit),
        ["Atan"] = new(x => x[0].Atan(), UnaryShapes),
        ["Sinh"] = new(x => x[0].Sinh(), UnaryShapes),
        ["Cosh"] = new(x => x[0].Cosh(), UnaryShapes),
        ["Log1p"] = new(x => x[0].Log1p(), UnaryShapes, Domain.Positive),
        ["Expm1"] = new(x => x[0].Expm1(), UnaryShapes),
        ["Log2"] = new(x => x[0].Log2(), UnaryShapes, Domain.Positive),
        ["Log10"] = new(x => x[0].Log10(), UnaryShapes, Domain.Positive),
        ["Erf"] = new(x => x[0].Erf(), UnaryShapes),
        ["Erfinv"] = new(x => x[0].Erfinv(), UnaryShapes, Domain.Unit),
        ["Rounding"] = new(x => x[0].Floor() + x[0].Ceil() * 2 + x[0].Round() * 3 + x[0].Trunc() * 4 + x[0].Exp(),
            UnaryShapes),
        ["Frac"] = new(x => x[0].Frac() * 3, UnaryShapes),
        ["Reciprocal"] = new(x => x[0].Reciprocal(), UnaryShapes, Domain.Positive),
        ["Rsqrt"] = new(x => x[0].Rsqrt(), UnaryShapes, Domain.Positive),
        ["Square"] = new(x => x[0].Square(), UnaryShapes),
        ["NanToNum"] = new(x => (x[0].Log() - 1).NanToNum(), UnaryShapes, Domain.Positive),
        ["Atan2"] = new(x => x[0].Atan2(x[1]), BinaryShapes),
        ["Hypot"] = new(x => x[0].Hypot(x[1]), BinaryShapes),
        ["Fmod"] = new(x => (x[0] * 5 - 4).Fmod(x[1]), BinaryShapes, Domain.Positive),
        ["Remainder"] = new(x => (x[0] * 5 - 4).Remainder(x[1] - 1.6), BinaryShapes, Domain.Positive),
        ["LerpTensor"] = new(x => x[0].Lerp(x[1], x[2] * 0.9), [[[3, 4], [3, 4], [3, 4]], [[2, 1], [1, 3], [2, 3]],
            [[], [4], [4]]], Domain.Positive),
        ["LerpScalar"] = new(x => x[0].Lerp(x[1], 0.3) + x[0].Lerp(x[1], 0.8), BinaryShapes),
        ["Elu"] = new(x => F.Elu(x[0], 0.7), UnaryShapes),
        ["Selu"] = new(x => F.Selu(x[0]), UnaryShapes),
        ["Celu"] = new(x => F.Celu(x[0], 1.5), UnaryShapes),
        ["SoftplusBeta"] = new(x => F.Softplus(x[0] * 3, beta: 2, threshold: 3), UnaryShapes),
        ["Mish"] = new(x => F.Mish(x[0] * 2), UnaryShapes),
        ["Hardtanh"] = new(x => F.Hardtanh(x[0], -0.5, 0.8) + F.Relu6(x[0] * 5), UnaryShapes),
        ["Hardswish"] = new(x => F.Hardswish(x[0] * 4), UnaryShapes),
        ["Hardsigmoid"] = new(x => F.Hardsigmoid(x[0] * 4), UnaryShapes),
        ["LogSigmoid"] = new(x => F.LogSigmoid(x[0] * 3), UnaryShapes),
        ["Prelu"] = new(x => F.Prelu(x[0], x[1]), [[[2, 3, 4], [3]], [[4, 2], [2]], [[5], [1]]]),
        ["Softmin"] = new(x => F.Softmin(x[0], -1), ReduceShapes),
        ["Glu"] = new(x => F.Glu(x[0], 0), [[[4, 3]], [[2, 5]], [[6]]]),
        ["MaskedFill"] = new(x => x[0].MaskedFill(x[0].Gt(0.2), 1.5) * x[0], ReduceShapes),
        ["MaskedSelect"] = new(x => x[0].MaskedSelect(x[0].Lt(0.5)).Exp(), ReduceShapes),
        ["IndexMask"] = new(x => x[0][x[0].Select(-1, 0).Gt(0)].Tanh(), ReduceShapes),
        ["IndexPut"] = new(x => Tensor.IndexPut(x[0], Ints(1, 0), x[1]).Exp(), [[[3, 4], [4]], [[2, 3, 5], [2, 3, 5]],
            [[2, 2], [2, 1]]]),
        ["IndexAdd"] = new(x => x[0].IndexAdd(0, Ints(1, 0, 1), x[1], alpha: 3), [[[3, 4], [3, 4]], [[2, 1], [3, 1]],
            [[2, 2, 3], [3, 2, 3]]]),
        ["Scatter"] = new(x => x[0].Scatter(0, Ints(1, 0).Reshape(2, 1), x[1]).Exp(),
            [[[3, 4], [2, 1]], [[2, 2], [2, 1]], [[2, 5], [2, 1]]]),
        ["ScatterReduceAmax"] = new(x => x[0].ScatterReduce(0, Ints(0, 1, 0).Reshape(3, 1), x[1], "amax"),
            [[[2, 3], [3, 1]], [[3, 1], [3, 1]], [[2, 2], [3, 1]]]),
        ["TakeAlongDim"] = new(x => x[0].TakeAlongDim(Ints(0, 0, 1).Reshape(1, 3), 1).Sin(),
            [[[3, 2]], [[1, 4]], [[2, 5]]]),
        ["PadModes"] = new(x => x[0].Pad([1, 2], "reflect").Exp().Sum() + (x[0].Pad([2, 1], "replicate")
            * x[0].Pad([1, 2], "circular")).Sum() + x[0].Pad([1, 0, 1, 1], value: 2).Pow(2).Sum(),
            [[[3, 4]], [[2, 3, 3]], [[2, 5]]]),
        ["FlipRoll"] = new(x => x[0].Flip(0, -1).Roll([1, -3], [0, -1]) * Tensor.Arange(x[0].Numel, DType.Float64)
            .Reshape(x[0].Shape), [[[3, 4]], [[2, 3, 5]], [[1, 4]]]),
        ["Repeats"] = new(x => x[0].Repeat(2, 1, 2).Exp().Sum() + x[0].Tile(3).Pow(2).Sum()
            + x[0].RepeatInterleave(Ints(2, 0, 1), 0).Pow(3).Sum(), [[[3, 4]], [[3, 1]], [[3, 2]]]),
        ["Triangles"] = new(x => x[0].Tril(1).Exp() + x[0].Triu(-1) * x[0], [[[3, 4]], [[2, 3, 3]], [[4, 2]]]),
        ["Diagonals"] = new(x => Tensor.Diag(x[0].Diagonal(1, 0, 1), -1).Exp().Sum() + x[0].Diagonal(-1).Pow(2).Sum(),
            [[[3, 4]], [[4, 3]], [[3, 3, 2]]]),
        ["OuterKron"] = new(x => Tensor.Kron(x[0], x[1]).Exp().Sum() + Tensor.Outer(x[0].Reshape(-1), x[1].Reshape(-1))
            .Pow(2).Sum(), [[[2, 3], [2, 2]], [[3], [2]], [[1, 2], [3, 1]]]),
        ["Einsum"] = new(x => Tensor.Einsum("ij,jk,ki->i", x[0], x[1], x[0].T.Exp()) + Tensor.Einsum("ii->i", x[1])
            [..x[0].Shape[0]], [[[3, 4], [4, 4]], [[2, 3], [3, 3]], [[1, 2], [2, 2]]]),
        ["Cumsum"] = new(x => x[0].Cumsum(-1).Exp(), ReduceShapes),
        ["Cumprod"] = new(x => x[0].Cumprod(0), ReduceShapes),
        ["Prod"] = new(x => x[0].Prod(-1) + x[0].Prod(), ReduceShapes),
        ["Norm"] = new(x => x[0].Norm(dims: [-1]) + x[0].Norm(3, [0], keepDim: true).Sum() + x[0].Norm(1.5),
            ReduceShapes),
        ["SortTopk"] = new(x => x[0].Sort(-1).Values.Exp() * Tensor.Arange(x[0].Shape[^1], DType.Float64)
            + x[0].Topk(1, -1).Values.Sin(), ReduceShapes),
        ["KthvalueMedian"] = new(x => x[0].Kthvalue(1, 0).Values.Exp().Sum() + x[0].Median(-1).Values.Pow(2).Sum()
            + x[0].Median().Sin(), ReduceShapes),
        ["Mode"] = new(x => x[0].Mode(-1).Values.Exp() + x[0].Pow(2).Mode(0, keepDim: true).Values.Sum(),
            ReduceShapes),
        ["CrossEntropyOptions"] = new(x => F.CrossEntropy(x[0], Ints(2, -100, 0), weight: Tensor.FromArray(
            new[] { 0.5, 2, 1.5 }), labelSmoothing: 0.2) + F.CrossEntropy(x[0].Reshape(1, 3, 3), Ints(1, 0, 2)
            .Reshape(1, 3), "sum"), [[[3, 3]], [[3, 3]], [[3, 3]]]),
        ["RegressionLosses"] = new(x => F.L1Loss(x[0], x[1]) + F.SmoothL1Loss(x[0], x[1], beta: 0.3)
            + F.HuberLoss(x[0], x[1], "sum", 0.4), BinaryShapes.Take(1).ToArray().Concat([[[4], [4]], [[2, 5], [2, 5]]])
            .ToArray()),
        ["BinaryLosses"] = new(x => F.BinaryCrossEntropy(x[0] / 2, x[1] / 2) + F.BinaryCrossEntropyWithLogits(x[0],
            x[1] / 2, posWeight: x[1]) + F.KlDiv(F.LogSoftmax(x[0], -1), x[1] / x[1].Sum(-1, keepDim: true),
            "batchmean"), [[[3, 4], [3, 4]], [[2, 2], [2, 2]], [[1, 5], [1, 5]]], Domain.Positive),
        ["EmbeddingLosses"] = new(x => F.MarginRankingLoss(x[0][0], x[1][0], Tensor.FromArray(new[] { 1.0, -1, 1 }),
            0.2) + F.CosineEmbeddingLoss(x[0], x[1], Ints(1, -1), 0.1) + F.TripletMarginLoss(x[0], x[1], x[0].Flip(0),
            swap: true), [[[2, 3], [2, 3]], [[2, 3], [2, 3]], [[2, 3], [2, 3]]]),
        ["BatchedProducts"] = new(x => Tensor.Baddbmm(x[0], x[1], x[1].MT, beta: 0.5, alpha: 2).Sum()
            + Tensor.Addmm(x[0][0], x[1][0], x[1][0].T, beta: 0).Exp().Sum(), [[[2, 3, 3], [2, 3, 4]],
            [[3], [1, 3, 2]], [[1, 1], [2, 1, 5]]]),
        ["Solve"] = new(x => Tensor.Solve(x[0], x[1]), [[[3, 3], [3, 2]], [[2, 4, 4], [2, 4]], [[1, 1], [1]]]),
        ["InvDet"] = new(x => Tensor.Inv(x[0]).Sum() + Tensor.Det(x[0]).Sum() + Tensor.Slogdet(x[0]).LogAbsDet.Sum(),
            [[[3, 3]], [[2, 4, 4]], [[1, 1]]]),
        ["Cholesky"] = new(x => Tensor.Cholesky(x[0].MatMul(x[0].MT) + 0.5), [[[3, 3]], [[2, 4, 4]], [[1, 1]]]),
        ["Qr"] = new(x => Tensor.Cat([Tensor.Qr(x[0]).Q.Flatten(), Tensor.Qr(x[0]).R.Flatten()]),
            [[[4, 3]], [[2, 3, 3]], [[2, 4]], [[1, 1]]]),
        ["CtcLoss"] = new(x => CtcLossOfLogits(x[0]), [[[5, 2, 3]], [[4, 3, 4]], [[1, 1, 2]]]),
        ["SumAll"] = new(x => x[0].Sum(), ReduceShapes),
        ["SumDims"] = new(x => x[0].Sum([0, -1], keepDim: true) * x[0], ReduceShapes),
        ["Mean"] = new(x => x[0].Mean(1), ReduceShapes),
        ["MaxAll"] = new(x => x[0].Max(), ReduceShapes),
        ["MaxDim"] = new(x => x[0].Max(1).Values, ReduceShapes),
        ["MinDim"] = new(x => x[0].Min(0, keepDim: true).Values, ReduceShapes),
        ["Amax"] = new(x => x[0].Amax([-1]), ReduceShapes),
        ["LogSumExp"] = new(x => x[0].LogSumExp(-1), ReduceShapes),
        ["Var"] = new(x => x[0].Var([1]), ReduceShapes),
        ["Std"] = new(x => x[0].Std(correction: 0), ReduceShapes),
        ["MatMul"] = new(x => x[0].MatMul(x[1]), [[[5, 10], [10, 3]], [[2, 3, 4], [4, 5]], [[1, 3], [3, 1]]]),
        ["MatMulBatchedBroadcast"] = new(x => x[0].MatMul(x[1]), [[[2, 1, 3, 4], [3, 4, 2]], [[4], [2, 4, 3]], [[2, 3, 4], [4]]]),
        ["MatMulVectors"] = new(x => x[0].MatMul(x[1]), [[[4], [4]], [[3, 4], [4]], [[1], [1, 5]]]),
        ["MatMulTransposed"] = new(x => x[0].T.MatMul(x[1].T), [[[4, 3], [5, 4]], [[1, 2], [3, 1]], [[6, 6], [6, 6]]]),
        ["Reshape"] = new(x => x[0].Reshape(-1) * Tensor.Arange(x[0].Numel, DType.Float64), ReduceShapes),
        ["TransposeContiguous"] = new(x => x[0].Transpose(0, 1).Contiguous().Exp(), ReduceShapes),
        ["Permute"] = new(x => x[0].Unsqueeze(0).Permute(2, 0, 1).Tanh(), [[[3, 4]], [[2, 5]], [[1, 1]]]),
        ["Expand"] = new(x => x[0].Expand(2, 3, 4) * x[0].Sum(), [[[3, 1]], [[1, 4]], [[3, 4]]]),
        ["SqueezeFlatten"] = new(x => x[0].Unsqueeze(1).Squeeze().Flatten().Sigmoid(), ReduceShapes),
        ["Slice"] = new(x => x[0].Slice(-1, 0, 4, 2) * 3, [[[3, 4]], [[2, 3, 5]], [[1, 6]]]),
        ["Indexer"] = new(x => x[0][1, 1..].Sum() + x[0][^1], [[[3, 4]], [[2, 3]], [[2, 2, 2]]]),
        ["Cat"] = new(x => Tensor.Cat([x[0], x[1] * 2], dim: 0).Tanh(), [[[2, 3], [4, 3]], [[1, 2], [1, 2]], [[3, 1, 2], [1, 1, 2]]]),
        ["Stack"] = new(x => Tensor.Stack([x[0], x[1].Exp()], dim: -1), [[[2, 3], [2, 3]], [[4], [4]], [[], []]]),
        ["SplitChunk"] = new(x => x[0].Split(2, 0)[^1] * 2 + x[0].Chunk(2, 0)[0].Sum(), [[[4, 3]], [[5, 2]], [[3]]]),
        ["IndexSelect"] = new(x => x[0].IndexSelect(0, Tensor.FromArray(new long[] { 0, 2, 0 })), [[[3, 4]], [[3]], [[4, 1, 2]]]),
        ["Gather"] = new(x => x[0].Gather(1, Tensor.FromArray(new long[] { 0, 1, 1, 0, 1, 1 }, [3, 2])), [[[3, 2]], [[3, 4]], [[4, 3]]]),
        ["ScatterAdd"] = new(x => Tensor.ScatterAdd(x[0], 0, Tensor.FromArray(new long[] { 1, 0, 1 }, [1, 3]), x[1]), [[[2, 3], [1, 3]], [[3, 3], [1, 3]], [[2, 4], [1, 3]]]),
        ["Embedding"] = new(x => F.Embedding(Tensor.FromArray(new long[] { 2, 0, 2, 1 }, [2, 2]), x[0]), [[[3, 4]], [[3, 1]], [[5, 2]]]),
    };

    private static Tensor Ints(params long[] values) => Tensor.FromArray(values);

    // logits [T, N, C]: sample n has min(n % 3 + 1, ⌈T/2⌉) labels, cycling through the classes but the blank 0,
    // and T − n % 2 input steps
    private static Tensor CtcLossOfLogits(Tensor logits)
    {
        int steps = logits.Shape[0], batch = logits.Shape[1], classes = logits.Shape[2];
        var targetLengths = Enumerable.Range(0, batch).Select(n => (long)Math.Min(n % 3 + 1, (steps + 1) / 2))
            .ToArray();
        var targets = Enumerable.Range(0, batch).SelectMany(n => Enumerable.Range(0, (int)targetLengths[n])
            .Select(i => (long)((n + i) % (classes - 1) + 1))).ToArray();
        var inputLengths = Enumerable.Range(0, batch).Select(n => (long)(steps - n % 2)).ToArray();
        return F.CtcLoss(F.LogSoftmax(logits, 2), Ints(targets), Ints(inputLengths), Ints(targetLengths),
            zeroInfinity: true);
    }

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Op_passes_gradcheck_on_three_shapes(string name)
    {
        var c = Cases[name];
        var gen = new Generator(7);
        foreach (var shapes in c.Shapes)
        {
            var inputs = Array.ConvertAll(shapes, s => RandomInput(s, c.Domain, gen));
            var result = GradCheck.Check(c.F, inputs);
            Assert.True(result.Passed, $"{name} on {string.Join(" ", Array.ConvertAll(shapes, s => "[" + string.Join(",", s) + "]"))}: {result}");
        }
    }

    private static Tensor RandomInput(int[] shape, Domain domain, Generator gen)
    {
        var x = domain switch
        {
            Domain.Positive => Tensor.Rand(shape, DType.Float64, gen) + 0.5,
            Domain.Unit => Tensor.Rand(shape, DType.Float64, gen) * 1.6 - 0.8,
            _ => Tensor.Randn(shape, DType.Float64, gen),
        };
        return x.RequiresGrad_();
    }

    [Fact]
    public void Gradcheck_catches_a_wrong_rule()
    {
        var wrong = new WrongSquare();
        var x = Tensor.Randn([3], DType.Float64, new Generator(1), requiresGrad: true);
        var result = GradCheck.Check(xs => wrong.Apply(xs[0]), [x]);
        Assert.False(result.Passed);
        Assert.InRange(result.Inputs[0].MaxRelativeError, 0.3, 0.4);  // 3x vs 2x: |3-2|/3
    }

    private sealed class WrongSquare : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs) { ctx.SaveForBackward(inputs[0]); return inputs[0] * inputs[0]; }
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g * 3 * ctx.SavedTensors[0]];
    }

    public static TheoryData<string> SecondOrderNames => new("Mul", "Div", "Exp", "Log", "Tanh", "Sigmoid", "Gelu", "GeluTanh", "Silu", "Softplus",
        "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Log1p", "Expm1", "Log2", "Log10", "Erf", "Erfinv",
        "Atan2", "Hypot", "Fmod", "Remainder", "LerpTensor", "Rsqrt", "Elu", "Selu", "Celu", "SoftplusBeta", "Mish",
        "Hardswish", "LogSigmoid", "Prelu", "Softmin", "Glu", "MaskedFill", "IndexPut", "ScatterReduceAmax", "PadModes",
        "Repeats", "Diagonals", "OuterKron", "Einsum", "Cumsum", "Cumprod", "Prod", "Norm", "SortTopk", "Qr",
        "PowScalar", "PowTensor", "MatMul", "MatMulBatchedBroadcast", "SumDims", "Mean", "LogSumExp", "Var", "Std", "Cat", "Gather", "Expand", "Slice");

    [Theory]
    [MemberData(nameof(SecondOrderNames))]
    public void Op_passes_gradgradcheck(string name)
    {
        var c = Cases[name];
        var gen = new Generator(11);
        var inputs = Array.ConvertAll(c.Shapes[0], s => RandomInput(s, c.Domain, gen));
        var result = GradCheck.GradGradCheck(c.F, inputs);
        Assert.True(result.Passed, $"{name}: {result}");
    }
}
