namespace Backprop;

// Losses: softmax cross-entropy (fused forward and backward), negative log-likelihood, the multiclass SVM hinge,
// mean squared error and binary cross-entropy on logits. Each returns per-element losses reduced by "mean",
// "sum" or "none".
public static partial class F
{
    /// <summary>
    /// Softmax cross-entropy of <paramref name="logits"/> [N, C] against Int64 class indices <paramref name="target"/> [N]:
    /// log Σⱼ e^xⱼ − x_target per row. Forward and backward are fused; the gradient is (softmax − onehot) per row.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, string reduction = "mean")
    {
        const string op = "CrossEntropy";
        CheckReduction(op, reduction);
        CheckClassScores(op, logits, target);
        var x = logits.Contiguous();
        int n = x.shape[0], classes = x.shape[1];
        var losses = Tensor.Empty([n], x.DType, x.Device);
        var logSumExp = Tensor.Empty([n], x.DType, x.Device);
        x.Backend.CrossEntropy(x, target, losses, logSumExp);
        Op.RecordFused(op, losses, x, (g, pass) =>
        {
            // with createGraph the rule is built from tensor ops so it differentiates again; otherwise one fused pass
            if (pass.CreateGraph) return (Softmax(x, 1) - OneHot(target, classes, x)) * g.Unsqueeze(1);
            var dx = Tensor.Empty(x.shape, x.DType, x.Device);
            x.Backend.CrossEntropyBackward(x, target, logSumExp, g, dx);
            return dx;
        }, saved: [x, target]);
        return Reduce(losses, reduction);
    }

    /// <summary>Negative log-likelihood: −logProbs[i, target[i]] per row of <paramref name="logProbs"/> [N, C] (e.g. from LogSoftmax).</summary>
    public static Tensor NllLoss(Tensor logProbs, Tensor target, string reduction = "mean")
    {
        CheckReduction("NllLoss", reduction);
        CheckClassScores("NllLoss", logProbs, target);
        return Reduce(-logProbs.Gather(1, target.Unsqueeze(1)).Squeeze(1), reduction);
    }

    /// <summary>
    /// The multiclass SVM (hinge) loss as torch.nn.functional.multi_margin_loss: for each row of
    /// <paramref name="scores"/> [N, C], Σ_{j≠y} max(0, margin − x_y + x_j) / C.
    /// </summary>
    public static Tensor MultiMarginLoss(Tensor scores, Tensor target, double margin = 1, string reduction = "mean")
    {
        const string op = "MultiMarginLoss";
        CheckReduction(op, reduction);
        CheckClassScores(op, scores, target);
        int classes = scores.shape[1];
        var correct = scores.Gather(1, target.Unsqueeze(1));
        var hinges = (scores - correct + margin).Relu() * (1 - OneHot(target, classes, scores));  // the j = y term is left out
        return Reduce(hinges.Sum(1) / classes, reduction);
    }

    /// <summary>Squared error (x − y)² elementwise; <paramref name="input"/> and <paramref name="target"/> have the same shape.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, string reduction = "mean")
    {
        CheckReduction("MseLoss", reduction);
        CheckSameShape("MseLoss", input, target);
        var diff = input - target;
        return Reduce(diff * diff, reduction);
    }

    /// <summary>
    /// Binary cross-entropy of probabilities σ(<paramref name="logits"/>) against <paramref name="target"/> in [0, 1],
    /// in the stable form max(x, 0) − x·t + ln(1 + e^−|x|); its gradient is σ(x) − t.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, string reduction = "mean")
    {
        const string op = "BinaryCrossEntropyWithLogits";
        CheckReduction(op, reduction);
        CheckSameShape(op, logits, target);
        Tensor losses;
        using (Autograd.NoGrad()) losses = logits.Relu() - logits * target + Tensor.Softplus(-logits.Abs());
        Op.Record(op, losses, [logits, target], g => [g * (logits.Sigmoid() - target), g * -logits],
            saved: [logits, target]);
        return Reduce(losses, reduction);
    }

    private static void CheckReduction(string op, string reduction)
    {
        if (reduction is not ("mean" or "sum" or "none"))
            throw new ArgumentException($"{op}: reduction must be \"mean\", \"sum\" or \"none\", got \"{reduction}\"");
    }

    private static Tensor Reduce(Tensor losses, string reduction) => reduction switch
    {
        "mean" => losses.Mean(),
        "sum" => losses.Sum(),
        _ => losses,
    };

    private static void CheckSameShape(string op, Tensor input, Tensor target)
    {
        Op.RequireSame(op, input, target);
        Op.RequireFloat(op, input);
        if (!Shapes.Equal(input.shape, target.shape))
            throw new ArgumentException($"{op}: input {Shapes.Format(input.shape)} and target {Shapes.Format(target.shape)} differ in shape");
    }

    // scores [N, C] in floating point, target [N] of Int64 class indices in [0, C)
    private static void CheckClassScores(string op, Tensor scores, Tensor target)
    {
        Op.RequireFloat(op, scores);
        if (scores.NDim != 2 || scores.shape[1] == 0)
            throw new ArgumentException($"{op}: input must be [N, C] with at least one class, got {Shapes.Format(scores.shape)}");
        if (target.DType != DType.Int64)
            throw new ArgumentException($"{op}: target must hold Int64 class indices, got {target.DType} with shape {Shapes.Format(target.shape)}");
        if (target.NDim != 1 || target.shape[0] != scores.shape[0])
            throw new ArgumentException($"{op}: target {Shapes.Format(target.shape)} does not match input {Shapes.Format(scores.shape)}: expected [{scores.shape[0]}]");
        // read in place on the CPU: this runs every training step
        ReadOnlySpan<long> classes = target.Device == Device.Cpu && target.IsContiguous ? target.AsSpan<long>() : target.ToArray<long>();
        for (int i = 0; i < classes.Length; i++)
            if (classes[i] < 0 || classes[i] >= scores.shape[1])
                throw new ArgumentException($"{op}: row {i} has target class index {classes[i]}, out of range for {scores.shape[1]} classes (input {Shapes.Format(scores.shape)})");
    }

    // 1 at [i, target[i]], 0 elsewhere, in like's dtype (a constant)
    private static Tensor OneHot(Tensor target, int classes, Tensor like)
    {
        int n = target.shape[0];
        return Tensor.ScatterAdd(Tensor.Zeros([n, classes], like.DType, device: like.Device), 1, target.Unsqueeze(1),
            Tensor.Ones([n, 1], like.DType, device: like.Device));
    }
}
