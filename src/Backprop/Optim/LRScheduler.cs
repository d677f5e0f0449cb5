namespace Backprop.Optim;

/// <summary>
/// Changes an optimizer's learning rate as epochs pass (torch.optim.lr_scheduler): call <see cref="Step"/> once
/// per epoch, after that epoch's optimizer steps.
/// </summary>
public abstract class LRScheduler
{
    /// <summary>Attaches to <paramref name="optimizer"/>, whose <see cref="Optimizer.InitialLearningRate"/> is the base rate.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
    }

    /// <summary>The optimizer whose learning rate this scheduler sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>How many epochs have ended (0 before the first <see cref="Step"/>).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Ends an epoch and sets the learning rate for the next.</summary>
    public void Step()
    {
        LastEpoch++;
        Optimizer.LearningRate = LearningRateAt(LastEpoch);
    }

    /// <summary>The learning rate after <paramref name="epoch"/> epochs.</summary>
    protected abstract double LearningRateAt(int epoch);
}

/// <summary>Multiplies the learning rate by γ every <see cref="StepSize"/> epochs: lr₀·γ^⌊epoch / stepSize⌋.</summary>
public sealed class StepLR : LRScheduler
{
    /// <summary>Creates the scheduler.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, $"StepLR: the step size must be a positive number of epochs, got {stepSize}");
        if (!double.IsFinite(gamma) || gamma < 0) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"StepLR: gamma must be finite and ≥ 0, got {gamma}");
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The factor applied at each decay.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double LearningRateAt(int epoch) => Optimizer.InitialLearningRate * Math.Pow(Gamma, epoch / StepSize);
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
        if (tMax <= 0) throw new ArgumentOutOfRangeException(nameof(tMax), tMax, $"CosineAnnealingLR: T_max must be a positive number of epochs, got {tMax}");
        if (!double.IsFinite(etaMin) || etaMin < 0) throw new ArgumentOutOfRangeException(nameof(etaMin), etaMin, $"CosineAnnealingLR: eta_min must be finite and ≥ 0, got {etaMin}");
        TMax = tMax;
        EtaMin = etaMin;
    }

    /// <summary>Epochs of one half cosine.</summary>
    public int TMax { get; }

    /// <summary>The smallest learning rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    protected override double LearningRateAt(int epoch) =>
        EtaMin + (Optimizer.InitialLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
}
