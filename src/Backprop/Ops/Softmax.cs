namespace Backprop;

// Softmax and log-softmax along a dim: stable forwards (the max is factored out), and gradient rules over the saved
// output. Softmax along the last dim (attention's) runs the backend's row kernel both ways, equal to its spelling in
// tensor ops to rounding; a create-graph pass and other dims use the tensor ops, which differentiate again.
public static partial class F
{
    /// <summary>e^x / Σ e^x along <paramref name="dim"/>, computed after subtracting the max.</summary>
    public static Tensor Softmax(Tensor x, int dim)
    {
        Op.RequireFloat("Softmax", x);
        int d = Shapes.NormalizeDim("Softmax", dim, x.NDim, x.shape);
        if (d != x.NDim - 1)
        {
            Tensor yInOps;
            using (Autograd.NoGrad()) yInOps = SoftmaxInOps(x, d);
            return Op.Record("Softmax", yInOps, x, g => SoftmaxGradient(yInOps, g, d), saved: [yInOps]);
        }
        // along the last dim each row is one pass of the backend's kernel, forward and backward
        x = x.Contiguous();
        var y = Tensor.Uninitialized(x.shape, x.DType, x.Device);
        x.Backend.Softmax(x, y);
        return Op.RecordFused("Softmax", y, x, (g, pass) =>
        {
            if (pass.CreateGraph) return SoftmaxGradient(y, g, d);
            var dx = Tensor.Uninitialized(y.shape, y.DType, y.Device);
            y.Backend.SoftmaxBackward(y, g.Contiguous(), dx);
            return dx;
        }, saved: [y]);
    }

    /// <summary>Softmax in tensor ops, the stable way: e^(x − max) / Σ e^(x − max).</summary>
    internal static Tensor SoftmaxInOps(Tensor x, int dim)
    {
        var e = (x - x.Amax([dim], keepDim: true)).Exp();
        return e / e.Sum(dim, keepDim: true);
    }

    /// <summary>dx = y ⊙ (g − ⟨g, y⟩) along <paramref name="dim"/>, in tensor ops.</summary>
    internal static Tensor SoftmaxGradient(Tensor y, Tensor g, int dim) => y * (g - (g * y).Sum(dim, keepDim: true));

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
