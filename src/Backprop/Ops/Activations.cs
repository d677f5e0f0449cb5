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
            (g, x, y) => g * (x.Gt(0).To(x.DType) * (1 - negativeSlope) + negativeSlope), Reads.X, negativeSlope);

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
        : Op.Unary("Gelu", x, UnaryKernel.Gelu, (g, x, y) => g * (NormalCdf(x) + x * NormalPdf(x)), Reads.X);  // Φ + xφ

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

    /// <summary>ln(1 + e^x), equal to x above 20 as in PyTorch; its derivative is σ(x).</summary>
    public static Tensor Softplus(Tensor x) =>
        Op.Unary("Softplus", x, UnaryKernel.Softplus, (g, x, y) => g * Sigmoid(x), Reads.X);

    /// <summary>tanh(this).</summary>
    public Tensor Tanh() => Tanh(this);
    /// <summary>σ(this).</summary>
    public Tensor Sigmoid() => Sigmoid(this);
    /// <summary>max(this, 0).</summary>
    public Tensor Relu() => Relu(this);
}
