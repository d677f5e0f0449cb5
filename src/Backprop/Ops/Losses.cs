namespace Backprop;

// Losses: softmax cross-entropy (fused forward and backward for plain class targets; class weights, an ignored
// index, label smoothing and [N, C, d...] inputs go through log-softmax and a weighted NLL), negative
// log-likelihood, the multiclass SVM hinge, the regression losses, binary cross-entropy, KL divergence, the
// embedding losses and CTC. Each returns per-element losses reduced by "mean", "sum" or "none"; the losses PyTorch
// writes as formulas are compositions of tensor ops here too.
public static partial class F
{
    /// <summary>
    /// Softmax cross-entropy of <paramref name="logits"/> [N, C] (or [N, C, d...]) against Int64 class indices
    /// <paramref name="target"/> [N] (or [N, d...]): log Σⱼ e^xⱼ − x_target per row, as torch's cross_entropy.
    /// <paramref name="weight"/> [C] scales each class's loss (and "mean" divides by the weights taken); targets
    /// equal to <paramref name="ignoreIndex"/> add nothing; <paramref name="labelSmoothing"/> ε mixes in the loss
    /// against the uniform distribution: (1 − ε)·loss + ε·(−Σ_c log p_c)/C. Without those, forward and
    /// backward are fused and the gradient is (softmax − onehot) per row.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, string reduction = "mean", Tensor? weight = null,
        long ignoreIndex = -100, double labelSmoothing = 0)
    {
        const string op = "CrossEntropy";
        CheckReduction(op, reduction);
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new ArgumentException($"{op}: labelSmoothing must lie in [0, 1], got {labelSmoothing}");
        if (weight is not null || labelSmoothing != 0 || logits.NDim != 2 || HasIgnored(target, ignoreIndex))
        {
            var (rows, rowTargets) = ClassRows(op, logits, target, ignoreIndex);
            return WeightedNll(op, LogSoftmax(rows, 1), rowTargets, target.shape, weight, ignoreIndex, labelSmoothing,
                reduction);
        }
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

    /// <summary>
    /// Negative log-likelihood: −logProbs[i, target[i]] per row of <paramref name="logProbs"/> [N, C] (or
    /// [N, C, d...]; e.g. from LogSoftmax), with class weights and an ignored index as in
    /// <see cref="CrossEntropy"/>.
    /// </summary>
    public static Tensor NllLoss(Tensor logProbs, Tensor target, string reduction = "mean", Tensor? weight = null,
        long ignoreIndex = -100)
    {
        CheckReduction("NllLoss", reduction);
        if (weight is null && logProbs.NDim == 2 && !HasIgnored(target, ignoreIndex))
        {
            CheckClassScores("NllLoss", logProbs, target);
            return Reduce(-logProbs.Gather(1, target.Unsqueeze(1)).Squeeze(1), reduction);
        }
        var (scores, classes) = ClassRows("NllLoss", logProbs, target, ignoreIndex);
        return WeightedNll("NllLoss", scores, classes, target.shape, weight, ignoreIndex, 0, reduction);
    }

    // read in place on the CPU, as CheckClassScores does: the plain path runs every training step
    private static bool HasIgnored(Tensor target, long ignoreIndex)
    {
        if (target.DType != DType.Int64) return false;
        ReadOnlySpan<long> classes = target.Device == Device.Cpu && target.IsContiguous ? target.AsSpan<long>()
            : target.ToArray<long>();
        return classes.Contains(ignoreIndex);
    }

    // scores [N, C, d...] as rows [N·d..., C] and the targets [N, d...] as a vector, checked
    private static (Tensor Rows, Tensor Classes) ClassRows(string op, Tensor scores, Tensor target, long ignoreIndex)
    {
        Op.RequireFloat(op, scores);
        if (scores.NDim < 2 || scores.shape[1] == 0)
            throw new ArgumentException($"{op}: input must be [N, C] or [N, C, d...] with at least one class, got " +
                $"{Shapes.Format(scores.shape)}");
        int[] expected = [scores.shape[0], .. scores.shape[2..]];
        if (target.DType != DType.Int64 || !Shapes.Equal(target.shape, expected))
            throw new ArgumentException($"{op}: target {Op.Describe(target)} must hold Int64 class indices of shape " +
                $"{Shapes.Format(expected)} for input {Shapes.Format(scores.shape)}");
        int classes = scores.shape[1];
        var flat = target.Reshape(-1);
        var bad = flat.Ne(ignoreIndex).LogicalAnd(flat.Lt(0L).LogicalOr(flat.Ge((long)classes)));
        if (bad.Any().ToArray<bool>()[0])
            throw new ArgumentException($"{op}: target class index {flat.MaskedSelect(bad).ToArray<long>()[0]} is " +
                $"out of range for {classes} classes (input {Shapes.Format(scores.shape)})");
        return (scores.Movedim(1, -1).Reshape(-1, classes), flat);
    }

    // torch's nll_loss with weights and ignore_index, and cross_entropy's label-smoothing term, over rows
    // logProbs [M, C] and classes [M]; "mean" divides by the summed weights of the targets not ignored
    private static Tensor WeightedNll(string op, Tensor logProbs, Tensor classes, int[] targetShape, Tensor? weight,
        long ignoreIndex, double smoothing, string reduction)
    {
        int c = logProbs.shape[1];
        if (weight is not null && (weight.NDim != 1 || weight.shape[0] != c))
            throw new ArgumentException($"{op}: weight {Op.Describe(weight)} must hold one value per class ({c})");
        var kept = classes.Ne(ignoreIndex);
        var safe = Tensor.Where(kept, classes, Op.Scalar(0, classes));
        var keptWeight = kept.To(logProbs.DType);
        var targetWeight = weight is null ? keptWeight : weight.To(logProbs.DType).IndexSelect(0, safe) * keptWeight;
        var losses = -logProbs.Gather(1, safe.Unsqueeze(1)).Squeeze(1) * targetWeight;
        Tensor? smooth = null;
        if (smoothing != 0)
        {
            var weighted = weight is null ? logProbs : logProbs * weight.To(logProbs.DType);
            smooth = -weighted.Sum(1) * keptWeight;
        }
        Tensor Combine(Tensor nll, Tensor? uniform) =>
            uniform is null ? nll : (1 - smoothing) * nll + uniform * (smoothing / c);
        var taken = targetWeight.Sum();
        return reduction switch
        {
            "mean" => Combine(losses.Sum() / taken, smooth is null ? null : smooth.Sum() / taken),
            "sum" => Combine(losses.Sum(), smooth?.Sum()),
            _ => Combine(losses, smooth).Reshape(targetShape),
        };
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
        // the j = y term is left out
        var hinges = (scores - correct + margin).Relu() * (1 - OneHot(target, classes, scores));
        return Reduce(hinges.Sum(1) / classes, reduction);
    }

    /// <summary>Squared error (x − y)² elementwise; <paramref name="input"/> and <paramref name="target"/> have the
    /// same shape.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, string reduction = "mean")
    {
        CheckReduction("MseLoss", reduction);
        CheckSameShape("MseLoss", input, target);
        var diff = input - target;
        return Reduce(diff * diff, reduction);
    }

    /// <summary>
    /// Binary cross-entropy of probabilities σ(<paramref name="logits"/>) against <paramref name="target"/> in [0, 1],
    /// in the stable form max(x, 0) − x·t + ln(1 + e^−|x|); its gradient is σ(x) − t. <paramref name="weight"/>
    /// scales each element's loss and <paramref name="posWeight"/> the positive term (per class, broadcast over the
    /// last dim), as in PyTorch.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, string reduction = "mean",
        Tensor? weight = null, Tensor? posWeight = null)
    {
        const string op = "BinaryCrossEntropyWithLogits";
        CheckReduction(op, reduction);
        CheckSameShape(op, logits, target);
        if (weight is not null || posWeight is not null)
        {
            // PyTorch's formula: (1 − t)·x + (1 + (pw − 1)·t)·(log(e^−m + e^(−x−m)) + m), m = max(−x, 0)
            var m = (-logits).Clamp(min: 0);
            var softplus = ((-m).Exp() + (-logits - m).Exp()).Log() + m;
            var scaled = posWeight is null ? softplus : ((posWeight - 1) * target + 1) * softplus;
            var weighted = (1 - target) * logits + scaled;
            return Reduce(weight is null ? weighted : weighted * weight, reduction);
        }
        Tensor losses;
        using (Autograd.NoGrad()) losses = logits.Relu() - logits * target + Tensor.Softplus(-logits.Abs());
        Op.Record(op, losses, [logits, target], g => [g * (logits.Sigmoid() - target), g * -logits],
            saved: [logits, target]);
        return Reduce(losses, reduction);
    }

    /// <summary>|x − y| elementwise (mean absolute error by default).</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, string reduction = "mean")
    {
        CheckReduction("L1Loss", reduction);
        CheckSameShape("L1Loss", input, target);
        return Reduce((input - target).Abs(), reduction);
    }

    /// <summary>0.5·d²/β where |d| &lt; β, else |d| − 0.5·β, for d = x − y (L1 when β is 0).</summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, string reduction = "mean", double beta = 1)
    {
        CheckReduction("SmoothL1Loss", reduction);
        CheckSameShape("SmoothL1Loss", input, target);
        if (beta < 0) throw new ArgumentException($"SmoothL1Loss: beta must not be negative, got {beta}");
        var z = (input - target).Abs();
        return Reduce(beta == 0 ? z : Tensor.Where(z.Lt(beta), 0.5 * z * z / beta, z - 0.5 * beta), reduction);
    }

    /// <summary>0.5·d² where |d| &lt; δ, else δ·(|d| − 0.5·δ), for d = x − y.</summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, string reduction = "mean", double delta = 1)
    {
        CheckReduction("HuberLoss", reduction);
        CheckSameShape("HuberLoss", input, target);
        if (delta <= 0) throw new ArgumentException($"HuberLoss: delta must be positive, got {delta}");
        var z = (input - target).Abs();
        return Reduce(Tensor.Where(z.Lt(delta), 0.5 * z * z, delta * (z - 0.5 * delta)), reduction);
    }

    /// <summary>
    /// Binary cross-entropy of probabilities <paramref name="input"/> in [0, 1] against <paramref name="target"/>:
    /// −(t·log p + (1 − t)·log(1 − p)), each log clamped at −100 as in PyTorch; its gradient (p − t)/(p(1
    /// − p)) has its denominator kept above 1e-12.
    /// </summary>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, string reduction = "mean",
        Tensor? weight = null)
    {
        const string op = "BinaryCrossEntropy";
        CheckReduction(op, reduction);
        CheckSameShape(op, input, target);
        Tensor losses, logP, logQ;
        using (Autograd.NoGrad())
        {
            (logP, logQ) = (input.Log().Clamp(min: -100), (1 - input).Log().Clamp(min: -100));
            losses = -(target * logP + (1 - target) * logQ);
        }
        Op.Record(op, losses, [input, target], g => [g * (input - target) / ((1 - input) * input).Clamp(min: 1e-12),
            g * (logQ - logP)], saved: [input, target, logP, logQ]);
        return Reduce(weight is null ? losses : losses * weight, reduction);
    }

    /// <summary>
    /// KL divergence Σ t·(log t − x) of the target distribution from the log-probabilities <paramref name="input"/>
    /// (t log t taken as 0 at t = 0); with <paramref name="logTarget"/> the target is given as logs.
    /// <paramref name="reduction"/> "batchmean" divides the sum by the batch size, as PyTorch recommends.
    /// </summary>
    public static Tensor KlDiv(Tensor input, Tensor target, string reduction = "mean", bool logTarget = false)
    {
        if (reduction != "batchmean") CheckReduction("KlDiv", reduction);
        CheckSameShape("KlDiv", input, target);
        var losses = logTarget ? target.Exp() * (target - input)
            : target * Tensor.Where(target.Gt(0), target, Op.Scalar(1, target)).Log() - target * input;
        return reduction == "batchmean" ? losses.Sum() / (input.NDim == 0 ? 1 : input.shape[0])
            : Reduce(losses, reduction);
    }

    /// <summary>max(0, −y·(x1 − x2) + margin): x1 should rank above x2 where y = 1, below where y =
    /// −1.</summary>
    public static Tensor MarginRankingLoss(Tensor input1, Tensor input2, Tensor target, double margin = 0,
        string reduction = "mean")
    {
        CheckReduction("MarginRankingLoss", reduction);
        CheckSameShape("MarginRankingLoss", input1, input2);
        return Reduce((-target * (input1 - input2) + margin).Clamp(min: 0), reduction);
    }

    /// <summary>
    /// 1 − cos(x1, x2) where y = 1 and max(0, cos − margin) where y = −1, with the cosine over the last dim of
    /// rows [N, D] (or of vectors [D]) and 1e-12 added to each squared length, as in PyTorch.
    /// </summary>
    public static Tensor CosineEmbeddingLoss(Tensor input1, Tensor input2, Tensor target, double margin = 0,
        string reduction = "mean")
    {
        CheckReduction("CosineEmbeddingLoss", reduction);
        CheckSameShape("CosineEmbeddingLoss", input1, input2);
        int d = input1.NDim - 1;
        var product = (input1 * input2).Sum(d);
        var lengths = ((input1 * input1).Sum(d) + 1e-12) * ((input2 * input2).Sum(d) + 1e-12);
        var cos = product / lengths.Sqrt();
        var zeros = Tensor.ZerosLike(cos);
        var similar = Tensor.Where(target.Eq(1L), 1 - cos, zeros);
        var dissimilar = Tensor.Where(target.Eq(-1L), (cos - margin).Clamp(min: 0), zeros);
        return Reduce(similar + dissimilar, reduction);
    }

    /// <summary>
    /// max(0, d(a, p) − d(a, n) + margin) with d the p-norm distance ‖x − y + eps‖ over the last dim; with
    /// <paramref name="swap"/> d(a, n) is the smaller of it and d(p, n).
    /// </summary>
    public static Tensor TripletMarginLoss(Tensor anchor, Tensor positive, Tensor negative, double margin = 1,
        double p = 2, double eps = 1e-6, bool swap = false, string reduction = "mean")
    {
        CheckReduction("TripletMarginLoss", reduction);
        CheckSameShape("TripletMarginLoss", anchor, positive);
        CheckSameShape("TripletMarginLoss", anchor, negative);
        Tensor Distance(Tensor a, Tensor b) => (a - b + eps).Norm(p, [a.NDim - 1]);
        var toNegative = Distance(anchor, negative);
        if (swap) toNegative = toNegative.Minimum(Distance(positive, negative));
        return Reduce((margin + Distance(anchor, positive) - toNegative).Clamp(min: 0), reduction);
    }

    /// <summary>
    /// The connectionist temporal classification loss (torch.nn.functional.ctc_loss): per sample, −log of the summed
    /// probability of every alignment of its target to its input steps. <paramref name="logProbs"/> [T, N, C] (or
    /// [T, C] unbatched) holds log-probabilities (a LogSoftmax over C); <paramref name="targets"/> is Int64, either
    /// [N, S] padded or the N targets concatenated; <paramref name="inputLengths"/> and
    /// <paramref name="targetLengths"/> are Int64 [N]. A target that cannot fit its input steps has an infinite loss,
    /// or zero with <paramref name="zeroInfinity"/> (and no gradient either way); "mean" divides each loss by its
    /// target length (at least 1), then averages over the batch.
    /// </summary>
    public static Tensor CtcLoss(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths,
        int blank = 0, string reduction = "mean", bool zeroInfinity = false)
    {
        const string op = "CtcLoss";
        CheckReduction(op, reduction);
        Op.RequireFloat(op, logProbs);
        bool unbatched = logProbs.NDim == 2;
        var x = unbatched ? logProbs.Unsqueeze(1) : logProbs;
        if (x.NDim != 3)
            throw new ArgumentException($"{op}: logProbs must be [T, N, C] or [T, C], got {Op.Describe(logProbs)}");
        int steps = x.shape[0], batch = x.shape[1], classes = x.shape[2];
        if (blank < 0 || blank >= classes)
            throw new ArgumentException($"{op}: blank {blank} is not a class of logProbs {Op.Describe(logProbs)}");
        var inputLength = HostIndices(op, "inputLengths", inputLengths);
        var targetLength = HostIndices(op, "targetLengths", targetLengths);
        if (batch == 0 || inputLength.Length != batch || targetLength.Length != batch)
            throw new ArgumentException($"{op}: inputLengths {Op.Describe(inputLengths)} and targetLengths " +
                $"{Op.Describe(targetLengths)} need one length per sample of logProbs {Op.Describe(logProbs)}");
        if (unbatched) targets = targets.Reshape(1, -1);
        var labels = CtcTargets(op, HostIndices(op, "targets", targets), targets, targetLength, classes, blank);
        for (int n = 0; n < batch; n++)
            if (inputLength[n] < 1 || inputLength[n] > steps)
                throw new ArgumentException($"{op}: input length {inputLength[n]} of sample {n} is outside " +
                    $"[1, {steps}] for logProbs {Op.Describe(logProbs)}");

        // the extended target of each sample: blanks around and between its labels, one state per position
        int states = 2 * (int)targetLength.Max() + 1;
        var extended = new long[batch * states];
        var skipPenalty = new double[batch * states];
        var ends = new long[batch * 2];
        var endPenalty = new double[batch * 2];
        var feasible = new bool[batch];
        for (int n = 0; n < batch; n++)
        {
            int length = (int)targetLength[n], repeats = 0;
            for (int s = 0; s < states; s++)
                extended[n * states + s] = s % 2 == 1 && s / 2 < length ? labels[n][s / 2] : blank;
            for (int s = 0; s < states; s++)
            {
                // a label may follow the label two states back directly unless the two are equal
                long label = extended[n * states + s];
                bool skip = s >= 2 && label != blank && label != extended[n * states + s - 2];
                skipPenalty[n * states + s] = skip ? 0 : CtcImpossible;
            }
            for (int i = 1; i < length; i++) if (labels[n][i] == labels[n][i - 1]) repeats++;
            feasible[n] = inputLength[n] >= length + repeats;
            // an alignment ends on the last label or the blank after it
            ends[2 * n] = 2 * length;
            ends[2 * n + 1] = Math.Max(2 * length - 1, 0);
            endPenalty[2 * n + 1] = length == 0 ? CtcImpossible : 0;
        }
        var device = x.Device;
        var stateIndex = Tensor.FromArray(extended, [1, batch, states]).To(device);
        var emissions = x.Gather(2, stateIndex.Expand(steps, batch, states));
        var skips = Tensor.FromArray(skipPenalty, [batch, states]).To(x.DType).To(device);
        var start = Tensor.FromArray(Enumerable.Range(0, states).Select(s => s < 2 ? 0 : CtcImpossible).ToArray())
            .To(x.DType).To(device);

        // the forward recursion in log space; log 0 is a large finite negative, so unreachable states carry no NaN
        var alpha = emissions[0] + start;
        for (int t = 1; t < inputLength.Max(); t++)
        {
            var candidates = new List<Tensor> { alpha };
            if (states > 1) candidates.Add(Tensor.Cat([Op.Scalar(CtcImpossible, x).Expand(batch, 1),
                alpha.Narrow(1, 0, states - 1)], 1));
            if (states > 2) candidates.Add(Tensor.Cat([Op.Scalar(CtcImpossible, x).Expand(batch, 2),
                alpha.Narrow(1, 0, states - 2)], 1) + skips);
            var next = Tensor.Stack([.. candidates]).LogSumExp(0) + emissions[t];
            bool allRunning = inputLength.All(l => l > t);
            alpha = allRunning ? next : Tensor.Where(
                Tensor.FromArray(inputLength.Select(l => l > t).ToArray(), [batch, 1]).To(device), next, alpha);
        }
        var endIndex = Tensor.FromArray(ends, [batch, 2]).To(device);
        var endPenalties = Tensor.FromArray(endPenalty, [batch, 2]).To(x.DType).To(device);
        var losses = -(alpha.Gather(1, endIndex) + endPenalties).LogSumExp(1);
        if (feasible.Contains(false))
            losses = Tensor.Where(Tensor.FromArray(feasible).To(device), losses,
                Op.Scalar(zeroInfinity ? 0 : double.PositiveInfinity, x));
        if (reduction == "mean")
            return (losses / Tensor.FromArray(targetLength.Select(l => Math.Max(l, 1.0)).ToArray()).To(x.DType)
                .To(device)).Mean();
        if (reduction == "sum") return losses.Sum();
        return unbatched ? losses.Squeeze(0) : losses;
    }

    // log 0 in the CTC recursion: far below any log-likelihood, and finite so that gradients stay NaN-free
    private const double CtcImpossible = -1e30;

    private static long[] HostIndices(string op, string name, Tensor t)
    {
        if (t.DType != DType.Int64)
            throw new ArgumentException($"{op}: {name} must be Int64, got {Op.Describe(t)}");
        return t.ToArray<long>();
    }

    // each sample's labels, from [N, S] padded targets or their concatenation, checked against the classes
    private static long[][] CtcTargets(string op, long[] values, Tensor targets, long[] lengths, int classes,
        int blank)
    {
        int batch = lengths.Length;
        var labels = new long[batch][];
        bool padded = targets.NDim == 2;
        if (padded ? targets.shape[0] != batch || targets.shape[1] < lengths.Max()
            : targets.NDim != 1 || targets.Numel != lengths.Sum())
            throw new ArgumentException($"{op}: targets {Op.Describe(targets)} fit neither [N, S] padded nor the " +
                $"concatenation of target lengths [{string.Join(", ", lengths)}]");
        int offset = 0, stride = padded ? targets.shape[1] : 0;
        for (int n = 0; n < batch; n++)
        {
            if (lengths[n] < 0)
                throw new ArgumentException($"{op}: target length {lengths[n]} of sample {n} is negative");
            int from = padded ? n * stride : offset;
            labels[n] = values[from..(from + (int)lengths[n])];
            offset += (int)lengths[n];
            foreach (var label in labels[n])
                if (label < 0 || label >= classes || label == blank)
                    throw new ArgumentException($"{op}: target label {label} of sample {n} is not a class in [0, " +
                        $"{classes}) other than blank {blank}");
        }
        return labels;
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
            throw new ArgumentException($"{op}: input {Shapes.Format(input.shape)} and " +
                $"target {Shapes.Format(target.shape)} differ in shape");
    }

    // scores [N, C] in floating point, target [N] of Int64 class indices in [0, C)
    private static void CheckClassScores(string op, Tensor scores, Tensor target)
    {
        Op.RequireFloat(op, scores);
        if (scores.NDim != 2 || scores.shape[1] == 0)
            throw new ArgumentException($"{op}: input must be [N, C] with at least one class, " +
                $"got {Shapes.Format(scores.shape)}");
        if (target.DType != DType.Int64)
            throw new ArgumentException($"{op}: target must hold Int64 class indices, got {target.DType} with " +
                $"shape {Shapes.Format(target.shape)}");
        if (target.NDim != 1 || target.shape[0] != scores.shape[0])
            throw new ArgumentException($"{op}: target {Shapes.Format(target.shape)} does not match " +
                $"input {Shapes.Format(scores.shape)}: expected [{scores.shape[0]}]");
        // read in place on the CPU: this runs every training step
        ReadOnlySpan<long> classes = target.Device == Device.Cpu && target.IsContiguous ? target.AsSpan<long>()
            : target.ToArray<long>();
        for (int i = 0; i < classes.Length; i++)
            if (classes[i] < 0 || classes[i] >= scores.shape[1])
                throw new ArgumentException($"{op}: row {i} has target class index {classes[i]}, out of range " +
                    $"for {scores.shape[1]} classes (input {Shapes.Format(scores.shape)})");
    }

    // 1 at [i, target[i]], 0 elsewhere, in like's dtype (a constant)
    private static Tensor OneHot(Tensor target, int classes, Tensor like)
    {
        int n = target.shape[0];
        return Tensor.ScatterAdd(Tensor.Zeros([n, classes], like.DType, device: like.Device), 1, target.Unsqueeze(1),
            Tensor.Ones([n, 1], like.DType, device: like.Device));
    }
}
