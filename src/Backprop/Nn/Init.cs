namespace Backprop.Nn;

/// <summary>Which fan a Kaiming initialization preserves the variance of.</summary>
public enum FanMode
{
    /// <summary>The inputs of each unit: keeps the forward pass's variance.</summary>
    FanIn,
    /// <summary>The outputs of each unit: keeps the backward pass's variance.</summary>
    FanOut,
}

/// <summary>
/// Seeded weight initializations (torch.nn.init): each fills a tensor in place from a <see cref="Generator"/>
/// and returns it. Fans follow PyTorch: dim 1 times the receptive field is the fan in, dim 0 times it the fan out.
/// </summary>
public static class Init
{
    /// <summary>The gain PyTorch recommends for a nonlinearity: linear, sigmoid, tanh, relu or leaky_relu (with its
    /// slope).</summary>
    public static double CalculateGain(string nonlinearity, double negativeSlope = 0.01) => nonlinearity switch
    {
        "linear" or "identity" or "conv2d" or "sigmoid" => 1,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2),
        "leaky_relu" => Math.Sqrt(2 / (1 + negativeSlope * negativeSlope)),
        _ => throw new ArgumentException($"CalculateGain: unknown nonlinearity '{nonlinearity}' (known: linear, " +
            "sigmoid, tanh, relu, leaky_relu)"),
    };

    /// <summary>(fan in, fan out) of a weight of at least two dims.</summary>
    public static (int fanIn, int fanOut) Fans(Tensor tensor)
    {
        if (tensor.NDim < 2)
            throw new ArgumentException($"Init: fans need a weight of at least 2 dims, got " +
                $"shape {Shapes.Format(tensor.shape)}");
        int receptive = 1;
        for (int i = 2; i < tensor.NDim; i++) receptive *= tensor.shape[i];
        return (tensor.shape[1] * receptive, tensor.shape[0] * receptive);
    }

    /// <summary>Uniform samples in [low, high).</summary>
    public static Tensor Uniform(Tensor tensor, double low, double high, Generator generator) =>
        Fill(tensor, generator, g => low + (high - low) * g.NextDouble());

    /// <summary>Normal samples of the given mean and standard deviation.</summary>
    public static Tensor Normal(Tensor tensor, double mean, double std, Generator generator) =>
        Fill(tensor, generator, g => mean + std * g.NextGaussian());

    /// <summary>U(-b, b) with b = gain·√(3 / fan), a being the negative slope of the leaky ReLU that follows (0 for
    /// ReLU).</summary>
    public static Tensor KaimingUniform(Tensor tensor, Generator generator, double a = 0, FanMode mode = FanMode.FanIn,
        string nonlinearity = "leaky_relu")
    {
        double bound = Math.Sqrt(3) * KaimingStd(tensor, a, mode, nonlinearity);
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>N(0, (gain / √fan)²).</summary>
    public static Tensor KaimingNormal(Tensor tensor, Generator generator, double a = 0, FanMode mode = FanMode.FanIn,
        string nonlinearity = "leaky_relu") =>
        Normal(tensor, 0, KaimingStd(tensor, a, mode, nonlinearity), generator);

    /// <summary>U(-b, b) with b = gain·√(6 / (fan in + fan out)) (Glorot).</summary>
    public static Tensor XavierUniform(Tensor tensor, Generator generator, double gain = 1)
    {
        var (fanIn, fanOut) = Fans(tensor);
        double bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>N(0, gain²·2 / (fan in + fan out)) (Glorot).</summary>
    public static Tensor XavierNormal(Tensor tensor, Generator generator, double gain = 1)
    {
        var (fanIn, fanOut) = Fans(tensor);
        return Normal(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
    }

    private static double KaimingStd(Tensor tensor, double a, FanMode mode, string nonlinearity)
    {
        var (fanIn, fanOut) = Fans(tensor);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        return CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
    }

    private static Tensor Fill(Tensor tensor, Generator generator, Func<Generator, double> sample)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var values = new double[tensor.Numel];
        for (int i = 0; i < values.Length; i++) values[i] = sample(generator);
        using (Autograd.NoGrad()) tensor.Copy_(Tensor.FromArray(values, tensor.Shape));
        return tensor;
    }
}
