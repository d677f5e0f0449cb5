using Backprop.Kernels;

namespace Backprop;

// Activation functions: forward kernels with gradient rules written in tensor ops (so they differentiate again).
public sealed partial class Tensor
{
    private const double InvSqrt2Pi = 0.3989422804014327;   // 1/√(2π)
    private const double SqrtTwoOverPi = 0.7978845608028654; // √(2/π)
    private const double GeluCubic = 0.044715;

    /// <summary>Hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor x) => Op.Unary("Tanh", x, UnaryKernel.Tanh, (g, x, y) => g * (1 - y * y));

    /// <summary>The logistic sigmoid 1/(1+e^-x).</summary>
    public static Tensor Sigmoid(Tensor x) => Op.Unary("Sigmoid", x, UnaryKernel.Sigmoid, (g, x, y) => g * y * (1 - y));  // (1-σ)σ

    /// <summary>max(x, 0); the gradient passes where x &gt; 0.</summary>
    public static Tensor Relu(Tensor x)
    {
        var y = Op.Unary("Relu", x, UnaryKernel.Relu, backward: null);
        if (Autograd.ShouldRecord(x)) y.SetGradFn(new ReluNode(x));
        return y;
    }

    /// <summary>x where x &gt; 0, else slope·x.</summary>
    public static Tensor LeakyRelu(Tensor x, double negativeSlope = 0.01) => Op.Unary("LeakyRelu", x, UnaryKernel.LeakyRelu,
        (g, x, y) => g * (x.Gt(0).To(x.DType) * (1 - negativeSlope) + negativeSlope), negativeSlope);

    /// <summary>
    /// The Gaussian error linear unit x·Φ(x); with <paramref name="tanhApproximation"/> the form
    /// 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
    /// </summary>
    public static Tensor Gelu(Tensor x, bool tanhApproximation = false) => tanhApproximation
        ? Op.Unary("Gelu", x, UnaryKernel.GeluTanh, (g, x, y) =>
        {
            var t = Tanh(SqrtTwoOverPi * (x + GeluCubic * x * x * x));
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SqrtTwoOverPi * (1 + 3 * GeluCubic * x * x));
        })
        : Op.Unary("Gelu", x, UnaryKernel.Gelu, (g, x, y) => g * (NormalCdf(x) + x * NormalPdf(x)));  // Φ + xφ

    // Φ(x), whose derivative is the density φ(x)
    private static Tensor NormalCdf(Tensor x) => Op.Unary("NormalCdf", x, UnaryKernel.NormalCdf, (g, x, y) => g * NormalPdf(x));

    private static Tensor NormalPdf(Tensor x) => InvSqrt2Pi * Exp(-0.5 * x * x);

    /// <summary>x·σ(x) (also called swish).</summary>
    public static Tensor Silu(Tensor x) => Op.Unary("Silu", x, UnaryKernel.Silu, (g, x, y) =>
    {
        var s = Sigmoid(x);
        return g * (s * (1 + x * (1 - s)));
    });

    /// <summary>ln(1 + e^x), equal to x above 20 as in PyTorch; its derivative is σ(x).</summary>
    public static Tensor Softplus(Tensor x) => Op.Unary("Softplus", x, UnaryKernel.Softplus, (g, x, y) => g * Sigmoid(x));

    /// <summary>tanh(this).</summary>
    public Tensor Tanh() => Tanh(this);
    /// <summary>σ(this).</summary>
    public Tensor Sigmoid() => Sigmoid(this);
    /// <summary>max(this, 0).</summary>
    public Tensor Relu() => Relu(this);
}

/// <summary>
/// A layer's node (Linear, one-group Conv2d) whose backend rule can take the gradient at a ReLU's output over the layer,
/// masking it in the pass that sums the bias gradient: the rule of <see cref="F.LinearRelu"/> and <see cref="F.Conv2dRelu"/>.
/// </summary>
internal interface IReluFusable
{
    /// <summary>Whether the layer applies its own ReLU already.</summary>
    bool HasRelu { get; }

    /// <summary>
    /// The backend rule for the gradient g at the output of a ReLU over the layer when <paramref name="mask"/> is given
    /// (positive exactly where the ReLU passes: its output, or the layer's output before it), else at the layer's output.
    /// </summary>
    Tensor?[] RuleBehindRelu(Tensor g, Tensor? mask);
}

/// <summary>
/// The ReLU's node. Over a layer without a ReLU of its own it runs that layer's rule as the fused op's, masking and
/// summing the bias gradient in one pass (<see cref="ApplyWithProducer"/>); a Linear layer reading it recognizes a
/// two-layer net written <c>F.Linear(F.Relu(F.Linear(x, W₁, b₁)), W₂, b₂)</c> (<see cref="AffineNode.PairablePath"/>).
/// </summary>
internal sealed class ReluNode(Tensor x) : Node("Relu", [Edge.To(x)])
{
    private Tensor? _x = x;

    // one fused pass unless the rule must differentiate again
    internal override Tensor?[] Apply(Tensor g) =>
        [Autograd.IsGradEnabled ? g * _x!.Gt(0) : Op.Binary("ReluBackward", g, _x!, BinaryKernel.PassIfPositive, null, null)];

    internal override (Node, Node?)? PairablePath => edges[0].Node is IReluFusable { HasRelu: false } layer ? ((Node)layer, null) : null;

    // the layer's output x is positive exactly where the ReLU passes, so it masks as the fused op's output does: the same bits
    internal override (Tensor?[] Own, Tensor?[] Producer)? ApplyWithProducer(Tensor g) =>
        ([null], ((IReluFusable)edges[0].Node!).RuleBehindRelu(g, _x!));

    internal override void Release() { base.Release(); _x = null; }
}
