namespace Backprop.Optim;

/// <summary>
/// Changes an optimizer's learning rates as epochs pass (torch.optim.lr_scheduler): call <see cref="Step"/> once
/// per epoch (once per batch for <see cref="OneCycleLR"/>), after that epoch's optimizer steps. Each group's rate is
/// a function of the epoch and the group's initial rate.
/// </summary>
public abstract class LRScheduler
{
    /// <summary>Attaches to <paramref name="optimizer"/>, whose groups' initial rates are the base rates.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
    }

    /// <summary>The optimizer whose learning rate this scheduler sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>How many epochs have ended (0 before the first <see cref="Step"/>).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Ends an epoch and sets the learning rates for the next.</summary>
    public void Step()
    {
        LastEpoch++;
        SetRates(LastEpoch);
    }

    /// <summary>Sets every group's rate (and other settings the schedule moves) for <paramref name="epoch"/>.</summary>
    internal virtual void SetRates(int epoch)
    {
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = LearningRateAt(epoch, group);
    }

    /// <summary>Sets the rates of epoch 0, for schedules whose first rate is not the initial one.</summary>
    private protected void Start() => SetRates(0);

    /// <summary>The learning rate of <paramref name="group"/> after <paramref name="epoch"/> epochs.</summary>
    protected internal abstract double LearningRateAt(int epoch, ParameterGroup group);

    private protected static void CheckGamma(string scheduler, double gamma)
    {
        if (!double.IsFinite(gamma) || gamma < 0)
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma,
                $"{scheduler}: gamma must be finite and ≥ 0, got {gamma}");
    }
}

/// <summary>Multiplies the learning rate by γ every <see cref="StepSize"/> epochs: lr₀·γ^⌊epoch /
/// stepSize⌋.</summary>
public sealed class StepLR : LRScheduler
{
    /// <summary>Creates the scheduler.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize,
                $"StepLR: the step size must be a positive number of epochs, got {stepSize}");
        CheckGamma("StepLR", gamma);
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The factor applied at each decay.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected internal override double LearningRateAt(int epoch, ParameterGroup group) =>
        group.InitialLearningRate * Math.Pow(Gamma, epoch / StepSize);
}

/// <summary>Multiplies the learning rate by γ at each milestone epoch: lr₀·γ^(milestones passed).</summary>
public sealed class MultiStepLR : LRScheduler
{
    private readonly int[] _milestones;

    /// <summary>Creates the scheduler; the milestones are epochs, in increasing order.</summary>
    public MultiStepLR(Optimizer optimizer, int[] milestones, double gamma = 0.1) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        if (milestones.Zip(milestones.Skip(1)).Any(p => p.First >= p.Second) || milestones.Any(m => m <= 0))
            throw new ArgumentException($"MultiStepLR: milestones must be positive and increasing, got " +
                $"[{string.Join(", ", milestones)}]");
        CheckGamma("MultiStepLR", gamma);
        _milestones = milestones.ToArray();
        Gamma = gamma;
    }

    /// <summary>The epochs at which the rate decays.</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    /// <summary>The factor applied at each milestone.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected internal override double LearningRateAt(int epoch, ParameterGroup group) =>
        group.InitialLearningRate * Math.Pow(Gamma, _milestones.Count(m => m <= epoch));
}

/// <summary>Multiplies the learning rate by γ every epoch: lr₀·γ^epoch.</summary>
public sealed class ExponentialLR : LRScheduler
{
    /// <summary>Creates the scheduler.</summary>
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer)
    {
        CheckGamma("ExponentialLR", gamma);
        Gamma = gamma;
    }

    /// <summary>The factor applied each epoch.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected internal override double LearningRateAt(int epoch, ParameterGroup group) =>
        group.InitialLearningRate * Math.Pow(Gamma, epoch);
}

/// <summary>
/// Scales the learning rate by a factor going linearly from <see cref="StartFactor"/> to <see cref="EndFactor"/>
/// over <see cref="TotalIters"/> epochs, then kept (a warm-up, with the defaults 1/3 → 1 over 5 epochs).
/// </summary>
public sealed class LinearLR : LRScheduler
{
    /// <summary>Creates the scheduler and sets the first epoch's rate.</summary>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1, int totalIters = 5)
        : base(optimizer)
    {
        if (!(startFactor > 0 && startFactor <= 1) || !(endFactor >= 0 && endFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor,
                $"LinearLR: the start factor must be in (0, 1] and the end factor in [0, 1], got {startFactor} and " +
                    $"{endFactor}");
        if (totalIters <= 0)
            throw new ArgumentOutOfRangeException(nameof(totalIters), totalIters,
                $"LinearLR: total iters must be positive, got {totalIters}");
        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalIters = totalIters;
        Start();
    }

    /// <summary>The factor at epoch 0.</summary>
    public double StartFactor { get; }

    /// <summary>The factor from epoch <see cref="TotalIters"/> on.</summary>
    public double EndFactor { get; }

    /// <summary>Epochs of the ramp.</summary>
    public int TotalIters { get; }

    /// <inheritdoc/>
    protected internal override double LearningRateAt(int epoch, ParameterGroup group) =>
        group.InitialLearningRate * (StartFactor + (EndFactor - StartFactor) * Math.Min(epoch,
            TotalIters) / TotalIters);
}

/// <summary>
/// Anneals the learning rate along half a cosine from lr₀ to η_min over <see cref="TMax"/> epochs:
/// η_min + (lr₀ − η_min)(1 + cos(π·epoch / T_max)) / 2.
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    /// <summary>Creates the scheduler.</summary>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax <= 0)
            throw new ArgumentOutOfRangeException(nameof(tMax), tMax,
                $"CosineAnnealingLR: T_max must be a positive number of epochs, got {tMax}");
        if (!double.IsFinite(etaMin) || etaMin < 0)
            throw new ArgumentOutOfRangeException(nameof(etaMin), etaMin,
                $"CosineAnnealingLR: eta_min must be finite and ≥ 0, got {etaMin}");
        TMax = tMax;
        EtaMin = etaMin;
    }

    /// <summary>Epochs of one half cosine.</summary>
    public int TMax { get; }

    /// <summary>The smallest learning rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    protected internal override double LearningRateAt(int epoch, ParameterGroup group) =>
        EtaMin + (group.InitialLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
}

/// <summary>
/// Runs schedulers one after another (torch's SequentialLR), as a warm-up then a cosine: scheduler k runs from
/// milestone k − 1, counting its epochs from 0 there. The schedulers must drive the same optimizer and are
/// stepped through this one only.
/// </summary>
public sealed class SequentialLR : LRScheduler
{
    private readonly LRScheduler[] _schedulers;
    private readonly int[] _milestones;

    /// <summary>Creates the scheduler: one more scheduler than milestones; sets the first epoch's rate.</summary>
    public SequentialLR(Optimizer optimizer, LRScheduler[] schedulers, int[] milestones) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedulers.Length != milestones.Length + 1)
            throw new ArgumentException($"SequentialLR: {schedulers.Length} schedulers need {schedulers.Length - 1} " +
                $"milestones, got {milestones.Length}");
        if (schedulers.Any(s => s.Optimizer != optimizer))
            throw new ArgumentException("SequentialLR: every scheduler must drive the optimizer given");
        if (milestones.Zip(milestones.Skip(1)).Any(p => p.First >= p.Second) || milestones.Any(m => m <= 0))
            throw new ArgumentException($"SequentialLR: milestones must be positive and increasing, got " +
                $"[{string.Join(", ", milestones)}]");
        _schedulers = schedulers.ToArray();
        _milestones = milestones.ToArray();
        Start();
    }

    /// <inheritdoc/>
    protected internal override double LearningRateAt(int epoch, ParameterGroup group)
    {
        int k = _milestones.Count(m => m <= epoch);
        return _schedulers[k].LearningRateAt(k == 0 ? epoch : epoch - _milestones[k - 1], group);
    }
}

/// <summary>
/// The one-cycle policy (torch's OneCycleLR), stepped once per batch: the rate rises from max_lr / div_factor to
/// max_lr over the first <c>pctStart</c> of <see cref="TotalSteps"/>, then falls to the initial rate /
/// final_div_factor, by half cosines (or linearly); the momentum (SGD's <c>momentum</c> or Adam's <c>beta1</c>)
/// moves the opposite way between <c>baseMomentum</c> and <c>maxMomentum</c> unless <c>cycleMomentum</c> is false.
/// </summary>
public sealed class OneCycleLR : LRScheduler
{
    private readonly (double EndStep, string From, string To)[] _phases;
    private readonly bool _cos;

    /// <summary>Creates the scheduler and sets the first step's rate (and momentum).</summary>
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3,
        string annealStrategy = "cos",
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25,
        double finalDivFactor = 1e4, bool threePhase = false) : base(optimizer)
    {
        if (totalSteps <= 0)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps,
                $"OneCycleLR: total steps must be positive, got {totalSteps}");
        if (!(pctStart >= 0 && pctStart <= 1))
            throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart,
                $"OneCycleLR: pct_start must be in [0, 1], got {pctStart}");
        if (annealStrategy is not ("cos" or "linear"))
            throw new ArgumentException($"OneCycleLR: anneal strategy must be 'cos' or 'linear', got " +
                $"'{annealStrategy}'");
        string momentum = optimizer.Defaults.ContainsKey("momentum") ? "momentum" : "beta1";
        if (cycleMomentum && !optimizer.Defaults.ContainsKey(momentum))
            throw new ArgumentException($"OneCycleLR: {optimizer.GetType().Name} has no momentum to cycle; pass " +
                $"cycleMomentum: false");
        TotalSteps = totalSteps;
        CycleMomentum = cycleMomentum;
        MomentumName = momentum;
        _cos = annealStrategy == "cos";
        _phases = threePhase
            ? [(pctStart * totalSteps - 1, "initial_lr", "max_lr"), (2 * pctStart * totalSteps - 2, "max_lr",
                "initial_lr"),
                (totalSteps - 1, "initial_lr", "min_lr")]
            : [(pctStart * totalSteps - 1, "initial_lr", "max_lr"), (totalSteps - 1, "max_lr", "min_lr")];
        foreach (var group in optimizer.ParamGroups)
        {
            double initial = maxLr / divFactor;
            group["initial_lr"] = initial;
            group["max_lr"] = maxLr;
            group["min_lr"] = initial / finalDivFactor;
            if (!cycleMomentum) continue;
            group["max_momentum"] = maxMomentum;
            group["base_momentum"] = baseMomentum;
        }
        Start();
    }

    /// <summary>The batches of the whole cycle.</summary>
    public int TotalSteps { get; }

    /// <summary>Whether the momentum moves against the rate.</summary>
    public bool CycleMomentum { get; }

    private string MomentumName { get; }

    /// <inheritdoc/>
    protected internal override double LearningRateAt(int epoch, ParameterGroup group)
    {
        var (from, to, pct) = Phase(epoch);
        return Anneal(group[from], group[to], pct);
    }

    internal override void SetRates(int epoch)
    {
        base.SetRates(epoch);
        if (!CycleMomentum) return;
        var (from, to, pct) = Phase(epoch);
        foreach (var group in Optimizer.ParamGroups)
            group[MomentumName] = Anneal(group[MomentumOf(from)], group[MomentumOf(to)], pct);
    }

    // the phase holding step `epoch`: the settings it anneals between and how far along it is
    private (string From, string To, double Pct) Phase(int epoch)
    {
        if (epoch >= TotalSteps)
            throw new InvalidOperationException($"OneCycleLR: stepped {epoch + 1} times, more than the {TotalSteps} " +
                $"total steps");
        int i = 0;
        double start = 0;
        for (; i < _phases.Length - 1 && epoch > _phases[i].EndStep; i++) start = _phases[i].EndStep;
        var (end, from, to) = _phases[i];
        return (from, to, (epoch - start) / (end - start));
    }

    // the momentum moves opposite to the rate: high where the rate is low
    private static string MomentumOf(string rate) => rate == "max_lr" ? "base_momentum" : "max_momentum";

    private double Anneal(double from, double to, double pct) =>
        _cos ? to + (from - to) / 2 * (Math.Cos(Math.PI * pct) + 1) : (to - from) * pct + from;
}

/// <summary>
/// Lowers the learning rate when a metric stops improving (torch's ReduceLROnPlateau): after more than
/// <see cref="Patience"/> epochs without an improvement beyond the threshold, every group's rate is multiplied by
/// <see cref="Factor"/> (down to <c>minLr</c>), then <see cref="Cooldown"/> epochs pass before counting again.
/// </summary>
public sealed class ReduceLROnPlateau
{
    private readonly bool _max, _relative;
    private readonly double _threshold, _minLr, _eps;
    private int _bad, _cooldownLeft;

    /// <summary>Creates the scheduler: mode "min" (a loss) or "max" (an accuracy), threshold "rel" or "abs".</summary>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10,
        double threshold = 1e-4, string thresholdMode = "rel", int cooldown = 0, double minLr = 0, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (mode is not ("min" or "max")) throw new ArgumentException($"ReduceLROnPlateau: mode must be 'min' or " +
            $"'max', got '{mode}'");
        if (thresholdMode is not ("rel" or "abs"))
            throw new ArgumentException($"ReduceLROnPlateau: threshold mode must be 'rel' or 'abs', got " +
                $"'{thresholdMode}'");
        if (!(factor >= 0 && factor < 1))
            throw new ArgumentOutOfRangeException(nameof(factor), factor,
                $"ReduceLROnPlateau: the factor must be in [0, 1), got {factor}");
        if (patience < 0 || cooldown < 0)
            throw new ArgumentOutOfRangeException(nameof(patience), patience,
                "ReduceLROnPlateau: patience and cooldown must be ≥ 0");
        Optimizer = optimizer;
        _max = mode == "max";
        _relative = thresholdMode == "rel";
        Factor = factor;
        Patience = patience;
        Cooldown = cooldown;
        _threshold = threshold;
        _minLr = minLr;
        _eps = eps;
        Best = _max ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <summary>The optimizer whose learning rates this scheduler lowers.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The factor applied at each reduction.</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement tolerated before a reduction.</summary>
    public int Patience { get; }

    /// <summary>Epochs after a reduction before bad epochs count again.</summary>
    public int Cooldown { get; }

    /// <summary>The best metric seen.</summary>
    public double Best { get; private set; }

    /// <summary>Ends an epoch whose metric was <paramref name="metric"/>, lowering the rates on a plateau.</summary>
    public void Step(double metric)
    {
        if (IsBetter(metric))
        {
            Best = metric;
            _bad = 0;
        }
        else _bad++;
        if (_cooldownLeft > 0)
        {
            _cooldownLeft--;
            _bad = 0;
        }
        if (_bad <= Patience) return;
        foreach (var group in Optimizer.ParamGroups)
        {
            double old = group.LearningRate, lowered = Math.Max(old * Factor, _minLr);
            if (old - lowered > _eps) group.LearningRate = lowered;
        }
        _cooldownLeft = Cooldown;
        _bad = 0;
    }

    private bool IsBetter(double metric) => (_max, _relative) switch
    {
        (false, true) => metric < Best * (1 - _threshold),
        (false, false) => metric < Best - _threshold,
        (true, true) => metric > Best * (_threshold + 1),
        _ => metric > Best + _threshold,
    };
}
