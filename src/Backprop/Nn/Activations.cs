namespace Backprop.Nn;

/// <summary>max(x, 0) elementwise.</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Relu(input);
}

/// <summary>tanh elementwise.</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Tanh(input);
}

/// <summary>The logistic sigmoid elementwise.</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Sigmoid(input);
}

/// <summary>x·Φ(x) elementwise, or its tanh approximation.</summary>
public sealed class GELU(bool tanhApproximation = false) : Module
{
    /// <summary>Whether the tanh approximation is used.</summary>
    public bool TanhApproximation { get; } = tanhApproximation;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Gelu(input, TanhApproximation);

    /// <inheritdoc/>
    protected override string ExtraRepr() => TanhApproximation ? "approximate='tanh'" : "";
}

/// <summary>x where positive, else slope·x, elementwise.</summary>
public sealed class LeakyReLU(double negativeSlope = 0.01) : Module
{
    /// <summary>The slope below zero.</summary>
    public double NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.LeakyRelu(input, NegativeSlope);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"negative_slope={NegativeSlope}";
}

/// <summary>x·σ(x) elementwise.</summary>
public sealed class SiLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Silu(input);
}

/// <summary>ln(1 + e^(βx))/β elementwise, x where βx exceeds the threshold.</summary>
public sealed class Softplus(double beta = 1, double threshold = 20) : Module
{
    /// <summary>β.</summary>
    public double Beta { get; } = beta;

    /// <summary>Where βx exceeds this, the output is x.</summary>
    public double Threshold { get; } = threshold;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Softplus(input, Beta, Threshold);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"beta={Beta}, threshold={Threshold}";
}

/// <summary>x where x &gt; 0, else α(e^x − 1), elementwise.</summary>
public sealed class ELU(double alpha = 1) : Module
{
    /// <summary>α.</summary>
    public double Alpha { get; } = alpha;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Elu(input, Alpha);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"alpha={Alpha}";
}

/// <summary>The self-normalizing ELU with its fixed α and scale, elementwise.</summary>
public sealed class SELU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Selu(input);
}

/// <summary>max(0, x) + min(0, α(e^(x/α) − 1)) elementwise.</summary>
public sealed class CELU(double alpha = 1) : Module
{
    /// <summary>α.</summary>
    public double Alpha { get; } = alpha;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Celu(input, Alpha);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"alpha={Alpha}";
}

/// <summary>x·tanh(softplus(x)) elementwise.</summary>
public sealed class Mish : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Mish(input);
}

/// <summary>x limited to [min, max] elementwise.</summary>
public sealed class Hardtanh(double minVal = -1, double maxVal = 1) : Module
{
    /// <summary>The lower bound.</summary>
    public double MinVal { get; } = minVal;

    /// <summary>The upper bound.</summary>
    public double MaxVal { get; } = maxVal;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Hardtanh(input, MinVal, MaxVal);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"min_val={MinVal}, max_val={MaxVal}";
}

/// <summary>min(max(x, 0), 6) elementwise.</summary>
public sealed class ReLU6 : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Relu6(input);
}

/// <summary>x·relu6(x + 3)/6 elementwise.</summary>
public sealed class Hardswish : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Hardswish(input);
}

/// <summary>relu6(x + 3)/6 elementwise.</summary>
public sealed class Hardsigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Hardsigmoid(input);
}

/// <summary>log σ(x) elementwise.</summary>
public sealed class LogSigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.LogSigmoid(input);
}

/// <summary>
/// x where x &gt; 0, else a·x, with the learned slopes "weight": one shared (the default) or one per channel, each
/// starting at the given value (0.25 by default), as torch.nn.PReLU.
/// </summary>
public sealed class PReLU : Module
{
    /// <summary>Creates the slopes, <paramref name="numParameters"/> of them, each <paramref name="init"/>.</summary>
    public PReLU(int numParameters = 1, double init = 0.25, DType? dtype = null)
    {
        if (numParameters <= 0)
            throw new ArgumentOutOfRangeException(nameof(numParameters),
                $"PReLU: numParameters must be positive, got {numParameters}");
        Weight = RegisterParameter("weight", Tensor.Full([numParameters], init, dtype));
    }

    /// <summary>The slopes below zero, [numParameters].</summary>
    public Tensor Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Prelu(input, Weight);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"num_parameters={Weight.Shape[0]}";
}

/// <summary>Softmax along a dim.</summary>
public sealed class Softmax(int dim) : Module
{
    /// <summary>The dim that sums to one.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Softmax(input, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Log-softmax along a dim.</summary>
public sealed class LogSoftmax(int dim) : Module
{
    /// <summary>The dim normalized over.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.LogSoftmax(input, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Softmin (the softmax of −x) along a dim.</summary>
public sealed class Softmin(int dim) : Module
{
    /// <summary>The dim that sums to one.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Softmin(input, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>The gated linear unit: the first half of a dim times the sigmoid of the second.</summary>
public sealed class GLU(int dim = -1) : Module
{
    /// <summary>The dim split in half.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Glu(input, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Merges dims <see cref="StartDim"/>..<see cref="EndDim"/> into one (by default all but the batch
/// dim).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>The first dim merged.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>The last dim merged.</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
