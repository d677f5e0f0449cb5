using Backprop.Kernels;
using Backprop.Kernels.Cpu;

namespace Backprop;

// 2-D convolution as im2col + one matrix product per group, with the whole batch folded into the columns. The
// unfolding and its transpose are each other's gradient, and the product is MatMul, so second derivatives work.
public static partial class F
{
    /// <summary>
    /// Cross-correlation of <paramref name="x"/> [N, C, H, W] with <paramref name="weight"/> [O, C/groups, kH, kW]
    /// plus <paramref name="bias"/> [O], as torch.nn.functional.conv2d; the result is [N, O, outH, outW].
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Convolve("Conv2d", x, weight, bias, stride, padding, dilation, groups, relu: false);

    /// <summary>
    /// max(0, conv2d(x, weight, bias)): the same values and gradients as <c>F.Relu(F.Conv2d(...))</c>, as one op. The ReLU
    /// is applied as each tile of the product is written, the pre-activation is never stored, and the backward pass
    /// reads its mask from the output. <see cref="Nn.Sequential"/> uses it for a <see cref="Nn.Conv2d"/> followed by a
    /// <see cref="Nn.ReLU"/>.
    /// </summary>
    public static Tensor Conv2dRelu(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Convolve("Conv2dRelu", x, weight, bias, stride, padding, dilation, groups, relu: true);

    private static Tensor Convolve(string op, Tensor x, Tensor weight, Tensor? bias, int stride, int padding, int dilation, int groups, bool relu)
    {
        Op.RequireSame(op, x, weight);
        Op.RequireFloat(op, x);
        if (x.NDim != 4) throw new ArgumentException($"{op}: input must be [N, C, H, W], got {Shapes.Format(x.shape)}");
        if (weight.NDim != 4) throw new ArgumentException($"{op}: weight must be [O, C/groups, kH, kW], got {Shapes.Format(weight.shape)}");
        if (groups < 1) throw new ArgumentException($"{op}: groups must be at least 1, got {groups}");
        int n = x.shape[0], c = x.shape[1], o = weight.shape[0];
        if (c != weight.shape[1] * groups)
            throw new ArgumentException($"{op}: input {Shapes.Format(x.shape)} has {c} channels but weight {Shapes.Format(weight.shape)} expects {weight.shape[1]}·groups={weight.shape[1] * groups}");
        if (o % groups != 0)
            throw new ArgumentException($"{op}: weight {Shapes.Format(weight.shape)} has {o} output channels, not divisible by groups={groups}");
        if (bias is not null)
        {
            Op.RequireSame(op, x, bias);
            if (bias.NDim != 1 || bias.shape[0] != o)
                throw new ArgumentException($"{op}: bias {Shapes.Format(bias.shape)} does not match weight {Shapes.Format(weight.shape)}: expected [{o}]");
        }
        var window = Window(op, x, weight.shape[2], weight.shape[3], stride, padding, dilation);
        if (groups == 1) return ConvolveOneGroup(op, x, weight, bias, window, relu);
        int outH = window.OutH, outW = window.OutW, perGroup = weight.shape[1] * weight.shape[2] * weight.shape[3];
        var columns = Im2Col(x.Contiguous(), window).Reshape(groups, perGroup, n * outH * outW);
        var products = weight.Reshape(groups, o / groups, perGroup).MatMul(columns);      // [groups, O/groups, N·outH·outW]
        var y = products.Reshape(o, n, outH, outW).Permute(1, 0, 2, 3);
        y = bias is null ? y.Contiguous() : y + bias.Reshape(1, o, 1, 1);
        return relu ? Relu(y) : y;
    }

    // the columns and one GEMM per sample straight into [N, O, outH, outW], with the bias (and the ReLU) applied as it
    // is written; the backward pass reuses the columns
    private static Tensor ConvolveOneGroup(string op, Tensor x, Tensor weight, Tensor? bias, Window2d window, bool relu)
    {
        int o = weight.shape[0], taps = weight.shape[1] * weight.shape[2] * weight.shape[3], width = window.N * window.OutH * window.OutW;
        var input = x.IsContiguous ? x : x.Detach().Contiguous();
        var kernel = weight.Detach().Reshape(o, taps).Contiguous();
        var columns = Unfilled([taps, width], x.DType, x.Device);
        x.Backend.Im2Col(input, window, columns);
        var y = Unfilled([window.N, o, window.OutH, window.OutW], x.DType, x.Device);
        if (relu) x.Backend.Conv2dRelu(columns, kernel, bias?.Detach().Contiguous(), window, y);
        else x.Backend.Conv2d(columns, kernel, bias?.Detach().Contiguous(), window, y);
        if (Autograd.IsGradEnabled && (x.RequiresGrad || weight.RequiresGrad || bias is { RequiresGrad: true }))
            y.SetGradFn(new Conv2dNode(op, x, weight, bias, kernel, columns, window, relu ? y : null));
        return y;
    }

    /// <summary>
    /// A one-group convolution's node: its backward reuses the forward's columns. After
    /// a fused ReLU it holds the output, whose positive elements are where the gradient passes.
    /// </summary>
    private sealed class Conv2dNode(string op, Tensor x, Tensor weight, Tensor? bias, Tensor kernel, Tensor columns, Window2d window,
        Tensor? reluOutput) : Node(op, EdgesOf(bias is null ? [x, weight] : [x, weight, bias]))
    {
        private SavedTensor _x = new(x), _weight = new(weight);
        private SavedTensor _reluOutput = reluOutput is null ? default : new(reluOutput);
        private Tensor? _bias = bias, _kernel = kernel, _columns = columns;

        // x is read for the weight's gradient (its columns are a copy, but the rule under createGraph reads x), the
        // weight for x's (the kernel may share its storage), and the output for the fused ReLU's mask
        internal override void CheckSaved()
        {
            if (NeedsGrad(1)) _x.Check(this);
            if (NeedsGrad(0)) _weight.Check(this);
            _reluOutput.Check(this);
        }

        private protected override Tensor?[] Rule(Tensor g, BackwardContext context)
        {
            var mask = _reluOutput.Tensor;
            // grad of grad: the rule in recorded tensor ops
            if (context.CreateGraph)
            {
                var masked = mask is { } y ? g * y.Gt(0) : g;
                return ConvolutionGradients(_x.Tensor!, _weight.Tensor!, _bias, window, masked);
            }
            Tensor x = _x.Tensor!, weight = _weight.Tensor!, columns = _columns!;
            var source = g.Contiguous();
            // after the fused ReLU, masked in place when nothing else holds it: the contiguous copy of a strided g, or
            // a sum the engine made; the bias gradient is summed in the same pass
            var dz = mask is null || source != g || context.MayReuse(g) ? source : Unfilled(g.shape, g.DType, g.Device);
            var dBias = _bias is { RequiresGrad: true } ? Unfilled([weight.shape[0]], x.DType, x.Device) : null;
            x.Backend.ConvolutionOutputBackward(source, mask, dz, dBias);
            var dWeight = weight.RequiresGrad ? Unfilled(weight.shape, x.DType, x.Device) : null;
            var dColumns = x.RequiresGrad ? Unfilled(columns.shape, x.DType, x.Device) : null;
            x.Backend.Conv2dBackward(columns, _kernel!, dz, window, dWeight, dColumns);
            Tensor? dx = null;
            if (dColumns is not null)
            {
                dx = Tensor.Empty(x.shape, x.DType, x.Device);
                x.Backend.Col2Im(dColumns, window, dx);
            }
            return _bias is null ? [dx, dWeight] : [dx, dWeight, dBias];
        }

        internal override void Release()
        {
            base.Release();
            _x = _weight = _reluOutput = default;
            _bias = _kernel = _columns = null;
        }
    }

    // the gradients of a one-group convolution in recorded tensor ops, so that they differentiate again
    private static Tensor?[] ConvolutionGradients(Tensor x, Tensor weight, Tensor? bias, Window2d window, Tensor g)
    {
        int o = weight.shape[0], taps = weight.shape[1] * weight.shape[2] * weight.shape[3];
        var rows = g.Permute(1, 0, 2, 3).Reshape(o, window.N * window.OutH * window.OutW);
        var dx = x.RequiresGrad ? Col2Im(weight.Reshape(o, taps).MT.MatMul(rows).Contiguous(), window) : null;
        var dWeight = weight.RequiresGrad ? rows.MatMul(Im2Col(x.Contiguous(), window).MT).Reshape(weight.shape) : null;
        return bias is null ? [dx, dWeight] : [dx, dWeight, bias.RequiresGrad ? g.Sum([0, 2, 3]) : null];
    }

    /// <summary>Checks a window's parameters against the input and returns its geometry.</summary>
    internal static Window2d Window(string op, Tensor x, int kernelH, int kernelW, int stride, int padding, int dilation)
    {
        if (kernelH < 1 || kernelW < 1) throw new ArgumentException($"{op}: kernel size must be positive, got {kernelH}×{kernelW}");
        if (stride < 1) throw new ArgumentException($"{op}: stride must be positive, got {stride}");
        if (padding < 0) throw new ArgumentException($"{op}: padding must be non-negative, got {padding}");
        if (dilation < 1) throw new ArgumentException($"{op}: dilation must be positive, got {dilation}");
        var w = new Window2d(x.shape[0], x.shape[1], x.shape[2], x.shape[3], kernelH, kernelW, stride, stride, padding, padding, dilation, dilation);
        int spanH = dilation * (kernelH - 1) + 1, spanW = dilation * (kernelW - 1) + 1;
        if (spanH > w.H + 2 * padding || spanW > w.W + 2 * padding)
            throw new ArgumentException($"{op}: a {kernelH}×{kernelW} kernel (dilation {dilation}) does not fit input {Shapes.Format(x.shape)} with padding {padding}");
        return w;
    }

    // a contiguous tensor for a CPU kernel that writes all of it, so its memory is not cleared first (other
    // backends' window kernels may accumulate into their outputs, so they still get zeros)
    private static Tensor Unfilled(int[] shape, DType dtype, Device device) =>
        device.Type == DeviceType.Cpu ? Tensor.Uninitialized(shape, dtype, device) : Tensor.Empty(shape, dtype, device);

    // columns [C·kH·kW, N·outH·outW] of the contiguous x; its gradient folds back with Col2Im
    private static Tensor Im2Col(Tensor x, Window2d window)
    {
        var columns = Unfilled([window.C * window.KernelH * window.KernelW, window.N * window.OutH * window.OutW], x.DType, x.Device);
        x.Backend.Im2Col(x, window, columns);
        return Op.Record("Im2Col", columns, x, g => Col2Im(g.Contiguous(), window), saved: []);
    }

    private static Tensor Col2Im(Tensor columns, Window2d window)
    {
        var dx = Tensor.Empty([window.N, window.C, window.H, window.W], columns.DType, columns.Device);
        columns.Backend.Col2Im(columns, window, dx);
        return Op.Record("Col2Im", dx, columns, g => Im2Col(g.Contiguous(), window), saved: []);
    }
}
