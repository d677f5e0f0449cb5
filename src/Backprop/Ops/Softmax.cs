namespace Backprop;

// Softmax and log-softmax along a dim: stable forwards (the max is factored out), and gradient rules written in
// tensor ops over the saved output, so they differentiate again.
public static partial class F
{
    /// <summary>e^x / Σ e^x along <paramref name="dim"/>, computed after subtracting the max.</summary>
    public static Tensor Softmax(Tensor x, int dim)
    {
        Op.RequireFloat("Softmax", x);
        int d = Shapes.NormalizeDim("Softmax", dim, x.NDim, x.shape);
        Tensor y;
        using (Autograd.NoGrad())
        {
            var e = (x - x.Amax([d], keepDim: true)).Exp();
            y = e / e.Sum(d, keepDim: true);
        }
        // dx = y ⊙ (g − ⟨g, y⟩)
        return Op.Record("Softmax", y, x, g => y * (g - (g * y).Sum(d, keepDim: true)), saved: [y]);
    }

    /// <summary>Softmax of −x along <paramref name="dim"/>: the smallest entries get the most weight.</summary>
    public static Tensor Softmin(Tensor x, int dim) => Softmax(-x, dim);

    /// <summary>x − log Σ e^x along <paramref name="dim"/>, computed stably.</summary>
    public static Tensor LogSoftmax(Tensor x, int dim)
    {
        Op.RequireFloat("LogSoftmax", x);
        int d = Shapes.NormalizeDim("LogSoftmax", dim, x.NDim, x.shape);
        Tensor y;
        using (Autograd.NoGrad()) y = x - x.LogSumExp(d, keepDim: true);
        // dx = g − softmax·Σg
        return Op.Record("LogSoftmax", y, x, g => g - y.Exp() * g.Sum(d, keepDim: true), saved: [y]);
    }
}
