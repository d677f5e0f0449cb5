namespace Backprop;

/// <summary>
/// Functional forms of neural-network operations, as torch.nn.functional. Partial: the layers and losses live
/// in other files; the activations here forward to the tensor ops.
/// </summary>
public static partial class F
{
    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor x) => Tensor.Relu(x);

    /// <summary>The logistic sigmoid.</summary>
    public static Tensor Sigmoid(Tensor x) => Tensor.Sigmoid(x);

    /// <summary>Hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor x) => Tensor.Tanh(x);

    /// <summary>x·Φ(x), or its tanh approximation.</summary>
    public static Tensor Gelu(Tensor x, bool tanhApproximation = false) => Tensor.Gelu(x, tanhApproximation);

    /// <summary>x·σ(x).</summary>
    public static Tensor Silu(Tensor x) => Tensor.Silu(x);

    /// <summary>ln(1 + e^(βx))/β, equal to x where βx exceeds <paramref name="threshold"/>.</summary>
    public static Tensor Softplus(Tensor x, double beta = 1, double threshold = 20) =>
        Tensor.Softplus(x, beta, threshold);

    /// <summary>x where positive, else slope·x.</summary>
    public static Tensor LeakyRelu(Tensor x, double negativeSlope = 0.01) => Tensor.LeakyRelu(x, negativeSlope);

    /// <summary>Rows of <paramref name="weight"/> picked by the Int64 <paramref name="indices"/>: shape indices.Shape +
    /// [dim].</summary>
    public static Tensor Embedding(Tensor indices, Tensor weight) => Tensor.Embedding(weight, indices);
}
