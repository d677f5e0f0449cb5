using Backprop.Kernels;
using Backprop.Kernels.Cpu;

namespace Backprop;

/// <summary>
/// A size argument of the convolution and pooling ops, as PyTorch's int-or-tuple: one int for every spatial axis
/// (<c>2</c>), one per axis (<c>(2, 3)</c>, height then width), or for a convolution's padding <c>"same"</c> or
/// <c>"valid"</c>. The default stands for the op's default (stride 1, padding 0, and so on).
/// </summary>
public readonly struct PerAxis
{
    private readonly int[]? _values;
    private readonly string? _mode;

    /// <summary>One value per axis, in order.</summary>
    public PerAxis(params int[] values) => _values = (int[])values.Clone();

    private PerAxis(string mode) => _mode = mode;

    /// <summary>The same value on every axis.</summary>
    public static implicit operator PerAxis(int value) => new([value]);

    /// <summary>(height, width).</summary>
    public static implicit operator PerAxis((int, int) values) => new(values.Item1, values.Item2);

    /// <summary>(depth, height, width).</summary>
    public static implicit operator PerAxis((int, int, int) values) => new(values.Item1, values.Item2, values.Item3);

    /// <summary>"same" (output as large as the input, at stride 1) or "valid" (no padding).</summary>
    public static implicit operator PerAxis(string mode) => mode is "same" or "valid" ? new(mode)
        : throw new ArgumentException($"padding must be an int, a tuple, \"same\" or \"valid\", got \"{mode}\"");

    internal bool IsSame => _mode == "same";

    internal bool IsDefault => _values is null && _mode is null;

    internal bool IsMode => _mode is not null;

    /// <summary>The value on each of <paramref name="axes"/> axes (<paramref name="unset"/> for the default).</summary>
    internal int[] Resolve(string op, string name, int axes, int unset)
    {
        if (_mode == "same")
            throw new ArgumentException($"{op}: {name} \"same\" is taken by convolutions only");
        if (_mode == "valid" || _values is null) return Enumerable.Repeat(_mode is null ? unset : 0, axes).ToArray();
        if (_values.Length == 1) return Enumerable.Repeat(_values[0], axes).ToArray();
        if (_values.Length != axes)
            throw new ArgumentException($"{op}: {name} {this} must be one int or {axes} values, one per spatial axis");
        return (int[])_values.Clone();
    }

    /// <summary>As PyTorch prints a module's sizes: a tuple of <paramref name="axes"/> values, or the mode.</summary>
    internal string Format(int axes, int unset)
    {
        if (_mode is not null) return $"'{_mode}'";
        var values = Resolve("", "", axes, unset);
        return values.Length == 1 ? $"({values[0]},)" : $"({string.Join(", ", values)})";
    }

    /// <summary>The values as given: <c>2</c>, <c>(2, 3)</c>, <c>"same"</c>, or <c>default</c>.</summary>
    public override string ToString() => _mode is not null ? $"\"{_mode}\""
        : _values is null ? "default" : _values.Length == 1 ? $"{_values[0]}" : $"({string.Join(", ", _values)})";
}

// 2-D convolution as im2col + one matrix product per group, with the whole batch folded into the columns. The
// unfolding and its transpose are each other's gradient, and the product is MatMul, so second derivatives work.
public static partial class F
{
    /// <summary>
    /// Cross-correlation of <paramref name="x"/> [N, C, H, W] with <paramref name="weight"/> [O, C/groups, kH, kW]
    /// plus <paramref name="bias"/> [O], as torch.nn.functional.conv2d; the result is [N, O, outH, outW]. Stride,
    /// padding and dilation are an int or an (H, W) pair; padding may also be "same" (stride 1) or "valid".
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, PerAxis stride = default,
        PerAxis padding = default, PerAxis dilation = default, int groups = 1) =>
        Convolve("Conv2d", x, weight, bias, stride, padding, dilation, groups, relu: false);

    /// <summary>
    /// max(0, conv2d(x, weight, bias)): the same values and gradients as <c>F.Relu(F.Conv2d(...))</c>, as one op. The
    /// ReLU is applied as each tile of the product is written, the pre-activation is never stored, and the backward
    /// pass reads its mask from the output. <see cref="Nn.Sequential"/> uses it for a <see cref="Nn.Conv2d"/> followed
    /// by a
    /// <see cref="Nn.ReLU"/>.
    /// </summary>
    public static Tensor Conv2dRelu(Tensor x, Tensor weight, Tensor? bias = null, PerAxis stride = default,
        PerAxis padding = default, PerAxis dilation = default, int groups = 1) =>
        Convolve("Conv2dRelu", x, weight, bias, stride, padding, dilation, groups, relu: true);

    /// <summary>
    /// Cross-correlation of <paramref name="x"/> [N, C, L] with <paramref name="weight"/> [O, C/groups, k] plus
    /// <paramref name="bias"/> [O], as torch.nn.functional.conv1d: a 2-D convolution over a height of one.
    /// </summary>
    public static Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias = null, PerAxis stride = default,
        PerAxis padding = default, PerAxis dilation = default, int groups = 1)
    {
        const string op = "Conv1d";
        RequireRank(op, x, 3, "input", "[N, C, L]");
        RequireRank(op, weight, 3, "weight", "[O, C/groups, k]");
        int s = stride.Resolve(op, "stride", 1, 1)[0], d = dilation.Resolve(op, "dilation", 1, 1)[0];
        var y = Convolve(op, x.Unsqueeze(2), weight.Unsqueeze(2), bias, new PerAxis(1, s),
            padding.IsMode ? padding : new PerAxis(0, padding.Resolve(op, "padding", 1, 0)[0]), new PerAxis(1, d),
            groups, relu: false);
        return y.Squeeze(2);
    }

    /// <summary>
    /// Cross-correlation of <paramref name="x"/> [N, C, D, H, W] with <paramref name="weight"/>
    /// [O, C/groups, kD, kH, kW] plus <paramref name="bias"/> [O], as torch.nn.functional.conv3d. The kD depth
    /// slices under each output plane are stacked as channels, so the whole op is one 2-D convolution.
    /// </summary>
    public static Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias = null, PerAxis stride = default,
        PerAxis padding = default, PerAxis dilation = default, int groups = 1)
    {
        const string op = "Conv3d";
        RequireRank(op, x, 5, "input", "[N, C, D, H, W]");
        RequireRank(op, weight, 5, "weight", "[O, C/groups, kD, kH, kW]");
        int[] kernel = weight.shape[2..], s = stride.Resolve(op, "stride", 3, 1);
        int[] d = dilation.Resolve(op, "dilation", 3, 1);
        (x, var p) = PadForMode(op, x, padding, kernel, s, d);
        int n = x.shape[0], c = x.shape[1], o = weight.shape[0], kD = kernel[0];
        if (c != weight.shape[1] * groups)
            throw new ArgumentException($"{op}: input {Shapes.Format(x.shape)} has {c} channels but weight " +
                $"{Shapes.Format(weight.shape)} expects {weight.shape[1]}·groups={weight.shape[1] * groups}");
        if (p[0] > 0) x = x.Pad([0, 0, 0, 0, p[0], p[0]]);
        int depth = x.shape[2], outD = (depth - d[0] * (kD - 1) - 1) / s[0] + 1;
        if (kD < 1 || outD < 1 || s[0] < 1 || d[0] < 1)
            throw new ArgumentException($"{op}: a depth-{kD} kernel (stride {s[0]}, dilation {d[0]}) does not fit " +
                $"input {Shapes.Format(x.shape)} padded by {p[0]}");
        var slices = new Tensor[kD];
        for (int k = 0; k < kD; k++) slices[k] = x.Slice(2, k * d[0], k * d[0] + (outD - 1) * s[0] + 1, s[0]);
        int h = x.shape[3], w = x.shape[4];
        var stacked = Tensor.Stack(slices, 2).Permute(0, 3, 1, 2, 4, 5).Reshape(n * outD, c * kD, h, w);
        var planes = Convolve(op, stacked, weight.Reshape(o, weight.shape[1] * kD, kernel[1], kernel[2]), bias,
            new PerAxis(s[1], s[2]), new PerAxis(p[1], p[2]), new PerAxis(d[1], d[2]), groups, relu: false);
        return planes.Reshape(n, outD, o, planes.shape[2], planes.shape[3]).Permute(0, 2, 1, 3, 4).Contiguous();
    }

    /// <summary>
    /// The transpose of conv2d (torch.nn.functional.conv_transpose2d): <paramref name="x"/> [N, Cin, H, W] with
    /// <paramref name="weight"/> [Cin, Cout/groups, kH, kW] gives [N, Cout, (H − 1)·stride − 2·padding +
    /// dilation·(kH − 1) + outputPadding + 1, …]. Each input pixel scatters its weighted kernel into the output:
    /// one matrix product per group into columns, folded by col2im, so its gradients are conv2d's products.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias = null, PerAxis stride = default,
        PerAxis padding = default, PerAxis outputPadding = default, int groups = 1, PerAxis dilation = default)
    {
        const string op = "ConvTranspose2d";
        RequireRank(op, x, 4, "input", "[N, Cin, H, W]");
        RequireRank(op, weight, 4, "weight", "[Cin, Cout/groups, kH, kW]");
        return Transposed(op, x, weight, bias, stride.Resolve(op, "stride", 2, 1), padding.Resolve(op, "padding", 2, 0),
            outputPadding.Resolve(op, "outputPadding", 2, 0), groups, dilation.Resolve(op, "dilation", 2, 1));
    }

    /// <summary>
    /// The transpose of conv1d (torch.nn.functional.conv_transpose1d): <paramref name="x"/> [N, Cin, L] with
    /// <paramref name="weight"/> [Cin, Cout/groups, k], a 2-D transposed convolution over a height of one.
    /// </summary>
    public static Tensor ConvTranspose1d(Tensor x, Tensor weight, Tensor? bias = null, PerAxis stride = default,
        PerAxis padding = default, PerAxis outputPadding = default, int groups = 1, PerAxis dilation = default)
    {
        const string op = "ConvTranspose1d";
        RequireRank(op, x, 3, "input", "[N, Cin, L]");
        RequireRank(op, weight, 3, "weight", "[Cin, Cout/groups, k]");
        var y = Transposed(op, x.Unsqueeze(2), weight.Unsqueeze(2), bias, [1, stride.Resolve(op, "stride", 1, 1)[0]],
            [0, padding.Resolve(op, "padding", 1, 0)[0]], [0, outputPadding.Resolve(op, "outputPadding", 1, 0)[0]],
            groups, [1, dilation.Resolve(op, "dilation", 1, 1)[0]]);
        return y.Squeeze(2);
    }

    /// <summary>
    /// The transpose of conv3d (torch.nn.functional.conv_transpose3d): <paramref name="x"/> [N, Cin, D, H, W] with
    /// <paramref name="weight"/> [Cin, Cout/groups, kD, kH, kW]. Each depth tap kd is a 2-D transposed convolution of
    /// every input plane, added into output planes d·strideD + kd·dilationD; the depth padding is then cropped.
    /// </summary>
    public static Tensor ConvTranspose3d(Tensor x, Tensor weight, Tensor? bias = null, PerAxis stride = default,
        PerAxis padding = default, PerAxis outputPadding = default, int groups = 1, PerAxis dilation = default)
    {
        const string op = "ConvTranspose3d";
        RequireRank(op, x, 5, "input", "[N, Cin, D, H, W]");
        RequireRank(op, weight, 5, "weight", "[Cin, Cout/groups, kD, kH, kW]");
        int[] s = stride.Resolve(op, "stride", 3, 1), p = padding.Resolve(op, "padding", 3, 0);
        int[] extra = outputPadding.Resolve(op, "outputPadding", 3, 0), d = dilation.Resolve(op, "dilation", 3, 1);
        if (Enumerable.Range(0, 3).Any(a => s[a] < 1 || d[a] < 1 || p[a] < 0 || extra[a] < 0
                || extra[a] >= Math.Max(s[a], d[a])))
            throw new ArgumentException($"{op}: stride {Shapes.Format(s)} and dilation {Shapes.Format(d)} must be " +
                $"positive, padding {Shapes.Format(p)} non-negative and output padding {Shapes.Format(extra)} " +
                "smaller than the stride or the dilation");
        int n = x.shape[0], cin = x.shape[1], depth = x.shape[2], kD = weight.shape[2];
        int full = (depth - 1) * s[0] + d[0] * (kD - 1) + 1 + extra[0], outD = full - 2 * p[0];
        if (outD < 1)
            throw new ArgumentException($"{op}: input {Shapes.Format(x.shape)} with weight " +
                $"{Shapes.Format(weight.shape)} and padding {Shapes.Format(p)} gives an empty output");
        var planes = x.Permute(0, 2, 1, 3, 4).Reshape(n * depth, cin, x.shape[3], x.shape[4]);
        Tensor? y = null;
        for (int kd = 0; kd < kD; kd++)
        {
            var z = Transposed(op, planes, weight.Select(2, kd), null, s[1..], p[1..], extra[1..], groups, d[1..]);
            z = z.Reshape(n, depth, z.shape[1], z.shape[2], z.shape[3]);
            var targets = Tensor.FromArray(Enumerable.Range(0, depth).Select(i => (long)(i * s[0] + kd * d[0]))
                .ToArray()).To(x.Device);
            y = (y ?? Tensor.Zeros([n, full, .. z.shape[2..]], x.DType, device: x.Device)).IndexAdd(1, targets, z);
        }
        var output = y!.Slice(1, p[0], p[0] + outD).Permute(0, 2, 1, 3, 4).Contiguous();
        return bias is null ? output : output + bias.Reshape(1, bias.shape[0], 1, 1, 1);
    }

    private static Tensor Transposed(string op, Tensor x, Tensor weight, Tensor? bias, int[] stride, int[] padding,
        int[] outputPadding, int groups, int[] dilation)
    {
        Op.RequireSame(op, x, weight);
        Op.RequireFloat(op, x);
        if (groups < 1) throw new ArgumentException($"{op}: groups must be at least 1, got {groups}");
        int n = x.shape[0], cin = x.shape[1], h = x.shape[2], w = x.shape[3];
        int kH = weight.shape[2], kW = weight.shape[3], perGroupOut = weight.shape[1], cout = perGroupOut * groups;
        if (weight.shape[0] != cin || cin % groups != 0)
            throw new ArgumentException($"{op}: input {Shapes.Format(x.shape)} has {cin} channels but weight " +
                $"{Shapes.Format(weight.shape)} takes {weight.shape[0]}, which groups={groups} must divide");
        RequireBias(op, x, bias, cout, weight);
        for (int axis = 0; axis < 2; axis++)
        {
            if (stride[axis] < 1 || dilation[axis] < 1 || padding[axis] < 0)
                throw new ArgumentException($"{op}: stride {Shapes.Format(stride)} and dilation " +
                    $"{Shapes.Format(dilation)} must be positive and padding {Shapes.Format(padding)} non-negative");
            if (outputPadding[axis] < 0 || outputPadding[axis] >= Math.Max(stride[axis], dilation[axis]))
                throw new ArgumentException($"{op}: output padding {Shapes.Format(outputPadding)} must be smaller " +
                    $"than the stride {Shapes.Format(stride)} or the dilation {Shapes.Format(dilation)}");
        }
        int outH = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kH - 1) + outputPadding[0] + 1;
        int outW = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kW - 1) + outputPadding[1] + 1;
        if (outH < 1 || outW < 1)
            throw new ArgumentException($"{op}: input {Shapes.Format(x.shape)} with weight " +
                $"{Shapes.Format(weight.shape)} and padding {Shapes.Format(padding)} gives an empty output");
        // a window over the output has exactly H × W positions while the output padding is below the stride; else
        // the window runs over the unpadded output, which is then cropped and padded to size
        bool direct = outputPadding[0] < stride[0] && outputPadding[1] < stride[1];
        var window = direct
            ? new Window2d(n, cout, outH, outW, kH, kW, stride[0], stride[1], padding[0], padding[1], dilation[0],
                dilation[1])
            : new Window2d(n, cout, (h - 1) * stride[0] + dilation[0] * (kH - 1) + 1,
                (w - 1) * stride[1] + dilation[1] * (kW - 1) + 1, kH, kW, stride[0], stride[1], 0, 0, dilation[0],
                dilation[1]);
        int perGroupIn = cin / groups, taps = kH * kW;
        var rows = x.Reshape(n, groups, perGroupIn, h * w).Permute(1, 2, 0, 3).Reshape(groups, perGroupIn, n * h * w);
        var kernel = weight.Reshape(groups, perGroupIn, perGroupOut * taps).MT;
        var columns = kernel.MatMul(rows).Reshape(cout * taps, n * h * w);    // [Cout·kH·kW, N·H·W]
        var y = Col2Im(columns, window);
        if (!direct)
            y = y.Pad([-padding[1], outputPadding[1] - padding[1], -padding[0], outputPadding[0] - padding[0]]);
        return bias is null ? y : y + bias.Reshape(1, cout, 1, 1);
    }

    private static void RequireRank(string op, Tensor t, int rank, string role, string layout)
    {
        if (t.NDim != rank)
            throw new ArgumentException($"{op}: {role} must be {layout}, got {Shapes.Format(t.shape)}");
    }

    private static void RequireBias(string op, Tensor x, Tensor? bias, int channels, Tensor weight)
    {
        if (bias is null) return;
        Op.RequireSame(op, x, bias);
        if (bias.NDim != 1 || bias.shape[0] != channels)
            throw new ArgumentException($"{op}: bias {Shapes.Format(bias.shape)} does not match weight " +
                $"{Shapes.Format(weight.shape)}: expected [{channels}]");
    }

    /// <summary>
    /// The symmetric padding of each spatial axis; "same" pads d·(k − 1) in all, the odd one after (as PyTorch), so
    /// x comes back padded by those extra zeros.
    /// </summary>
    private static (Tensor X, int[] Padding) PadForMode(string op, Tensor x, PerAxis padding, int[] kernel,
        int[] stride, int[] dilation)
    {
        int axes = kernel.Length;
        if (!padding.IsSame) return (x, padding.Resolve(op, "padding", axes, 0));
        if (stride.Any(s => s != 1))
            throw new ArgumentException($"{op}: padding \"same\" needs stride 1, got {Shapes.Format(stride)}");
        var symmetric = new int[axes];
        var extra = new int[2 * axes];
        bool odd = false;
        for (int a = 0; a < axes; a++)
        {
            int total = dilation[a] * (kernel[a] - 1);
            symmetric[a] = total / 2;
            extra[2 * (axes - 1 - a) + 1] = total - 2 * symmetric[a];
            odd |= total % 2 != 0;
        }
        return (odd ? x.Pad(extra) : x, symmetric);
    }

    private static Tensor Convolve(string op, Tensor x, Tensor weight, Tensor? bias, PerAxis stride, PerAxis padding,
        PerAxis dilation, int groups, bool relu)
    {
        Op.RequireSame(op, x, weight);
        Op.RequireFloat(op, x);
        RequireRank(op, x, 4, "input", "[N, C, H, W]");
        RequireRank(op, weight, 4, "weight", "[O, C/groups, kH, kW]");
        if (groups < 1) throw new ArgumentException($"{op}: groups must be at least 1, got {groups}");
        int[] s = stride.Resolve(op, "stride", 2, 1), d = dilation.Resolve(op, "dilation", 2, 1);
        (x, var p) = PadForMode(op, x, padding, weight.shape[2..], s, d);
        int n = x.shape[0], c = x.shape[1], o = weight.shape[0];
        if (c != weight.shape[1] * groups)
            throw new ArgumentException($"{op}: input {Shapes.Format(x.shape)} has {c} channels but weight " +
                $"{Shapes.Format(weight.shape)} expects {weight.shape[1]}·groups={weight.shape[1] * groups}");
        if (o % groups != 0)
            throw new ArgumentException($"{op}: weight {Shapes.Format(weight.shape)} has {o} output channels, " +
                $"not divisible by groups={groups}");
        RequireBias(op, x, bias, o, weight);
        var window = Window(op, x, weight.shape[2], weight.shape[3], s, p, d);
        if (groups == 1) return ConvolveOneGroup(op, x, weight, bias, window, relu);
        int outH = window.OutH, outW = window.OutW, perGroup = weight.shape[1] * weight.shape[2] * weight.shape[3];
        var columns = Im2Col(x.Contiguous(), window).Reshape(groups, perGroup, n * outH * outW);
        // [groups, O/groups, N·outH·outW]
        var products = weight.Reshape(groups, o / groups, perGroup).MatMul(columns);
        var y = products.Reshape(o, n, outH, outW).Permute(1, 0, 2, 3);
        y = bias is null ? y.Contiguous() : y + bias.Reshape(1, o, 1, 1);
        return relu ? Relu(y) : y;
    }

    // the columns and one GEMM per sample straight into [N, O, outH, outW], with the bias (and the ReLU) applied as it
    // is written; the backward pass reuses the columns
    private static Tensor ConvolveOneGroup(string op, Tensor x, Tensor weight, Tensor? bias, Window2d window, bool relu)
    {
        int o = weight.shape[0], taps = weight.shape[1] * weight.shape[2] * weight.shape[3],
            width = window.N * window.OutH * window.OutW;
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
    private sealed class Conv2dNode(string op, Tensor x, Tensor weight, Tensor? bias, Tensor kernel, Tensor columns,
        Window2d window, Tensor? reluOutput) : Node(op, EdgesOf(bias is null ? [x, weight] : [x, weight, bias]))
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
            var dx = x.RequiresGrad ? Tensor.Empty(x.shape, x.DType, x.Device) : null;
            x.Backend.Conv2dBackward(columns, _kernel!, dz, window, dWeight, dx);
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

    /// <summary>Checks a window's parameters (per axis: height, width) against the input: its geometry.</summary>
    internal static Window2d Window(string op, Tensor x, int kernelH, int kernelW, int[] stride, int[] padding,
        int[] dilation, bool ceilMode = false)
    {
        if (kernelH < 1 || kernelW < 1)
            throw new ArgumentException($"{op}: kernel size must be positive, got {kernelH}×{kernelW}");
        if (stride.Any(v => v < 1))
            throw new ArgumentException($"{op}: stride must be positive, got {Shapes.Format(stride)}");
        if (padding.Any(v => v < 0))
            throw new ArgumentException($"{op}: padding must be non-negative, got {Shapes.Format(padding)}");
        if (dilation.Any(v => v < 1))
            throw new ArgumentException($"{op}: dilation must be positive, got {Shapes.Format(dilation)}");
        var w = new Window2d(x.shape[0], x.shape[1], x.shape[2], x.shape[3], kernelH, kernelW, stride[0], stride[1],
            padding[0], padding[1], dilation[0], dilation[1]);
        int spanH = dilation[0] * (kernelH - 1) + 1, spanW = dilation[1] * (kernelW - 1) + 1;
        if (spanH > w.H + 2 * padding[0] || spanW > w.W + 2 * padding[1])
            throw new ArgumentException($"{op}: a {kernelH}×{kernelW} kernel (dilation {Shapes.Format(dilation)}) " +
                $"does not fit input {Shapes.Format(x.shape)} with padding {Shapes.Format(padding)}");
        if (!ceilMode) return w;
        return w with
        {
            ExtraH = CeilExtra(w.H, w.PadH, w.StrideH, spanH), ExtraW = CeilExtra(w.W, w.PadW, w.StrideW, spanW),
        };
    }

    // ceil_mode's one more window along an axis: when the floor leaves input over and that window starts inside
    // the input or its leading padding, as PyTorch
    private static int CeilExtra(int size, int pad, int stride, int span)
    {
        int room = size + 2 * pad - span, floorCount = room / stride + 1;
        return room % stride != 0 && floorCount * stride < size + pad ? 1 : 0;
    }

    // a contiguous tensor for a CPU kernel that writes all of it, so its memory is not cleared first (other
    // backends' window kernels may accumulate into their outputs, so they still get zeros)
    private static Tensor Unfilled(int[] shape, DType dtype, Device device) =>
        device.Type == DeviceType.Cpu ? Tensor.Uninitialized(shape, dtype, device) : Tensor.Empty(shape, dtype, device);

    // columns [C·kH·kW, N·outH·outW] of the contiguous x; its gradient folds back with Col2Im
    private static Tensor Im2Col(Tensor x, Window2d window)
    {
        var columns = Unfilled([window.C * window.KernelH * window.KernelW, window.N * window.OutH * window.OutW],
            x.DType, x.Device);
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
