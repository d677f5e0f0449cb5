using Backprop.Kernels;

namespace Backprop;

// Activation functions: forward kernels with gradient rules written in tensor ops (so they differentiate again).
public sealed partial class Tensor
{
    private const double InvSqrt2Pi = 0.3989422804014327;   // 1/√(2π)
    private const double SqrtTwoOverPi = 0.7978845608028654; // √(2/π)
    private const double GeluCubic = 0.044715;

    /// <summary>Hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor x) => Op.Unary("Tanh", x, UnaryKernel.Tanh, (g, x, y) => g * (1 - y * y), Reads.Y);

    /// <summary>The logistic sigmoid 1/(1+e^-x).</summary>
    public static Tensor Sigmoid(Tensor x) =>
        Op.Unary("Sigmoid", x, UnaryKernel.Sigmoid, (g, x, y) => g * y * (1 - y), Reads.Y);  // (1-σ)σ

    /// <summary>max(x, 0); the gradient passes where x &gt; 0.</summary>
    public static Tensor Relu(Tensor x) =>
        Op.Unary("Relu", x, UnaryKernel.Relu, (g, x, y) => ReluBackward(g, y), Reads.Y);

    // g where the ReLU's output is positive, else 0, in one pass; linear in g, and the mask is constant
    private static Tensor ReluBackward(Tensor g, Tensor y) =>
        Op.Binary("ReluBackward", g, y, BinaryKernel.PassIfPositive,
            (gg, g, y, _) => ReluBackward(gg, y), Reads.B, null, Reads.Nothing);

    /// <summary>x where x &gt; 0, else slope·x.</summary>
    public static Tensor LeakyRelu(Tensor x, double negativeSlope = 0.01) =>
        Op.Unary("LeakyRelu", x, UnaryKernel.LeakyRelu,
            (g, x, y) => g * Op.Unary("LeakyReluSlope", x.Detach(), UnaryKernel.LeakyReluSlope, null, Reads.Nothing,
                negativeSlope), Reads.X, negativeSlope);

    /// <summary>
    /// The Gaussian error linear unit x·Φ(x); with <paramref name="tanhApproximation"/> the form
    /// 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
    /// </summary>
    public static Tensor Gelu(Tensor x, bool tanhApproximation = false) => tanhApproximation
        ? Op.Unary("Gelu", x, UnaryKernel.GeluTanh, (g, x, y) =>
        {
            var t = Tanh(SqrtTwoOverPi * (x + GeluCubic * x * x * x));
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SqrtTwoOverPi * (1 + 3 * GeluCubic * x * x));
        }, Reads.X)
        // exact: the local gradient Φ(x) + x·φ(x)
        : Op.Unary("Gelu", x, UnaryKernel.Gelu, (g, x, y) => g * (NormalCdf(x) + x * NormalPdf(x)), Reads.X);

    // Φ(x), whose derivative is the density φ(x)
    private static Tensor NormalCdf(Tensor x) =>
        Op.Unary("NormalCdf", x, UnaryKernel.NormalCdf, (g, x, y) => g * NormalPdf(x), Reads.X);

    private static Tensor NormalPdf(Tensor x) => InvSqrt2Pi * Exp(-0.5 * x * x);

    /// <summary>x·σ(x) (also called swish).</summary>
    public static Tensor Silu(Tensor x) => Op.Unary("Silu", x, UnaryKernel.Silu, (g, x, y) =>
    {
        var s = Sigmoid(x);
        return g * (s * (1 + x * (1 - s)));
    }, Reads.X);

    /// <summary>
    /// ln(1 + e^(βx))/β, equal to x where βx exceeds <paramref name="threshold"/> as in PyTorch; its derivative is
    /// σ(βx), and 1 above the threshold.
    /// </summary>
    public static Tensor Softplus(Tensor x, double beta = 1, double threshold = 20)
    {
        if (beta == 0) throw new ArgumentException("Softplus: beta must not be 0");
        return Op.Unary("Softplus", x, UnaryKernel.Softplus, (g, x, y) =>
        {
            var bx = x * beta;
            return Where(bx.Gt(threshold), g, g * Sigmoid(bx));
        }, Reads.X, beta, threshold);
    }

    /// <summary>tanh(this).</summary>
    public Tensor Tanh() => Tanh(this);
    /// <summary>σ(this).</summary>
    public Tensor Sigmoid() => Sigmoid(this);
    /// <summary>max(this, 0).</summary>
    public Tensor Relu() => Relu(this);
}

// The activations of torch.nn.functional beyond the kernels above, each composed of ops that compute PyTorch's
// formula exactly (so they need no rule of their own), or with a rule where PyTorch's gradient differs from the
// composition's at a boundary.
public static partial class F
{
    private const double SeluAlpha = 1.6732632423543772848170429916717;
    private const double SeluScale = 1.0507009873554804934193349852946;

    /// <summary>x where x &gt; 0, else α(e^x − 1).</summary>
    public static Tensor Elu(Tensor x, double alpha = 1) => ExponentialUnit(x, 1, alpha, 1);

    /// <summary>λx where x &gt; 0, else λα(e^x − 1), with SELU's fixed α and λ (self-normalizing).</summary>
    public static Tensor Selu(Tensor x) => ExponentialUnit(x, SeluScale, SeluAlpha * SeluScale, 1);

    /// <summary>max(0, x) + min(0, α(e^(x/α) − 1)).</summary>
    public static Tensor Celu(Tensor x, double alpha = 1)
    {
        if (alpha == 0) throw new ArgumentException("Celu: alpha must not be 0");
        return ExponentialUnit(x, 1, alpha, 1 / alpha);
    }

    // PyTorch's ELU family: scale·x above 0, negScale·(e^(inputScale·x) − 1) at or below it. The exponential sees
    // min(x, 0), so no branch left unused overflows (its gradient would be 0·∞ = NaN).
    private static Tensor ExponentialUnit(Tensor x, double scale, double negScale, double inputScale)
    {
        var negative = x.Clamp(max: 0);
        var positive = scale == 1 ? x.Relu() : x.Relu() * scale;
        return positive + (inputScale == 1 ? negative : negative * inputScale).Expm1() * negScale;
    }

    /// <summary>x·tanh(softplus(x)).</summary>
    public static Tensor Mish(Tensor x) => x * Tensor.Tanh(Tensor.Softplus(x));

    /// <summary>
    /// x limited to [min, max]; the gradient passes strictly inside, as PyTorch's hardtanh (clamp's passes at the
    /// bounds too).
    /// </summary>
    public static Tensor Hardtanh(Tensor x, double min = -1, double max = 1)
    {
        if (min > max) throw new ArgumentException($"Hardtanh: min {min} is greater than max {max}");
        Tensor y;
        using (Autograd.NoGrad()) y = x.Clamp(min, max);
        return Op.Record("Hardtanh", y, x, g => g * x.Gt(min).LogicalAnd(x.Lt(max)).To(g.DType), saved: [x]);
    }

    /// <summary>min(max(x, 0), 6).</summary>
    public static Tensor Relu6(Tensor x) => Hardtanh(x, 0, 6);

    /// <summary>x·relu6(x + 3)/6; its gradient is x/3 + 1/2 on [−3, 3), 1 from 3 on, as PyTorch's.</summary>
    public static Tensor Hardswish(Tensor x)
    {
        Tensor y;
        using (Autograd.NoGrad()) y = x * (x + 3).Clamp(0, 6) / 6;
        return Op.Record("Hardswish", y, x, g =>
        {
            var ramp = Tensor.Where(x.Lt(3), x / 3 + 0.5, Tensor.OnesLike(x));
            return g * Tensor.Where(x.Lt(-3), Tensor.ZerosLike(x), ramp);
        }, saved: [x]);
    }

    // PyTorch's hardsigmoid gradient is g times 1/6 rounded to Float32, in every dtype: this gives its numbers
    private const double HardsigmoidSlope = 1.0f / 6.0f;

    /// <summary>relu6(x + 3)/6; the gradient passes strictly between −3 and 3.</summary>
    public static Tensor Hardsigmoid(Tensor x)
    {
        Tensor y;
        using (Autograd.NoGrad()) y = (x + 3).Clamp(0, 6) / 6;
        return Op.Record("Hardsigmoid", y, x,
            g => g * (x.Gt(-3).LogicalAnd(x.Lt(3)).To(g.DType) * HardsigmoidSlope), saved: [x]);
    }

    /// <summary>log σ(x), computed as min(x, 0) − log(1 + e^(−|x|)), which neither overflows nor
    /// cancels.</summary>
    public static Tensor LogSigmoid(Tensor x)
    {
        Op.RequireFloat("LogSigmoid", x);
        Tensor y;
        using (Autograd.NoGrad()) y = x.Clamp(max: 0) - (-x.Abs()).Exp().Log1p();
        return Op.Record("LogSigmoid", y, x, g => g * Tensor.Sigmoid(-x), saved: [x]);   // d log σ(x) = σ(−x)
    }

    /// <summary>
    /// x where x &gt; 0, else a·x, with the learned slopes <paramref name="weight"/>: one shared, or one per channel
    /// (dim 1 of x).
    /// </summary>
    public static Tensor Prelu(Tensor x, Tensor weight)
    {
        if (weight.NDim != 1 || (weight.Shape[0] != 1 && (x.NDim < 2 || x.Shape[1] != weight.Shape[0])))
            throw new ArgumentException($"Prelu: weight {Op.Describe(weight)} must hold 1 slope or one per channel " +
                $"(dim 1) of the input {Op.Describe(x)}");
        var slopes = weight.Shape[0] == 1 || x.NDim == 2 ? weight
            : weight.Reshape([weight.Shape[0], .. Enumerable.Repeat(1, x.NDim - 2)]);
        return Tensor.Where(x.Gt(0), x, slopes * x);
    }

    /// <summary>The gated linear unit a·σ(b), a and b the two halves of x along <paramref name="dim"/>.</summary>
    public static Tensor Glu(Tensor x, int dim = -1)
    {
        int d = Shapes.NormalizeDim("Glu", dim, x.NDim, x.Shape);
        if (x.Shape[d] % 2 != 0)
            throw new ArgumentException($"Glu: dim {dim} of {Op.Describe(x)} has odd size {x.Shape[d]}; it must halve");
        var halves = x.Chunk(2, d);
        return halves[0] * halves[1].Sigmoid();
    }
}
