using Backprop.Kernels;

namespace Backprop;

// 2-D pooling in one pass over each contiguous plane. Max pooling records the winners and routes the gradient to
// them with ScatterAdd; average pooling and its transpose are each other's gradient.
public static partial class F
{
    /// <summary>
    /// Max over kernelSize×kernelSize windows of <paramref name="x"/> [N, C, H, W], as torch.nn.functional.max_pool2d
    /// (stride defaults to the kernel size; padding counts as −∞).
    /// </summary>
    public static Tensor MaxPool2d(Tensor x, int kernelSize, int? stride = null, int padding = 0, int dilation = 1)
    {
        var window = PoolWindow("MaxPool2d", x, kernelSize, stride, padding, dilation);
        var input = x.Contiguous();
        int planes = window.N * window.C, outH = window.OutH, outW = window.OutW;
        var y = Unfilled([window.N, window.C, outH, outW], x.DType, x.Device);
        var winners = Unfilled([planes, outH * outW], DType.Int64, x.Device);
        x.Backend.MaxPool2d(input, window, y, winners);
        return Op.RecordFused("MaxPool2d", y, input, (g, pass) =>
        {
            if (pass.CreateGraph)   // recorded, so the rule differentiates again
                return Tensor.ScatterAdd(Tensor.ZerosLike(input).Reshape(planes, window.H * window.W), 1, winners, g.Reshape(planes, outH * outW))
                    .Reshape(input.shape);
            var dx = Unfilled([planes, window.H * window.W], x.DType, x.Device);
            x.Backend.MaxPool2dBackward(g.Contiguous().Reshape(planes, outH * outW), winners, window, dx);   // winners in range by construction
            return dx.Reshape(input.shape);
        }, saved: []);   // the winners are its own, and of the input it reads only the shape
    }

    /// <summary>
    /// Mean over kernelSize×kernelSize windows of <paramref name="x"/> [N, C, H, W], as torch.nn.functional.avg_pool2d
    /// with its defaults (stride = kernel size, zero padding counted in the divisor).
    /// </summary>
    public static Tensor AvgPool2d(Tensor x, int kernelSize, int? stride = null, int padding = 0)
    {
        var window = PoolWindow("AvgPool2d", x, kernelSize, stride, padding, 1);
        return AvgPool(x.Contiguous(), window);
    }

    private static Tensor AvgPool(Tensor x, Window2d window)
    {
        var y = Tensor.Empty([window.N, window.C, window.OutH, window.OutW], x.DType, x.Device);
        x.Backend.AvgPool2d(x, window, y);
        return Op.Record("AvgPool2d", y, x, g => AvgPoolBackward(g.Contiguous(), window), saved: []);
    }

    private static Tensor AvgPoolBackward(Tensor g, Window2d window)
    {
        var dx = Tensor.Empty([window.N, window.C, window.H, window.W], g.DType, g.Device);
        g.Backend.AvgPool2dBackward(g, window, dx);
        return Op.Record("AvgPool2dBackward", dx, g, gg => AvgPool(gg.Contiguous(), window), saved: []);
    }

    private static Window2d PoolWindow(string op, Tensor x, int kernelSize, int? stride, int padding, int dilation)
    {
        Op.RequireFloat(op, x);
        if (x.NDim != 4) throw new ArgumentException($"{op}: input must be [N, C, H, W], got {Shapes.Format(x.shape)}");
        if (padding * 2 > kernelSize)
            throw new ArgumentException($"{op}: padding {padding} must be at most half the kernel size {kernelSize}");
        int step = stride ?? kernelSize;
        return Window(op, x, kernelSize, kernelSize, [step, step], [padding, padding], [dilation, dilation]);
    }
}
