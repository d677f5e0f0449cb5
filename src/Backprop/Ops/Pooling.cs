using Backprop.Kernels;

namespace Backprop;

// 2-D pooling in one pass over each contiguous plane. Max pooling records the winners and routes the gradient to
// them with ScatterAdd; average pooling and its transpose are each other's gradient. The 1-D ops are the 2-D ones
// over a height of one; unpooling, adaptive pooling and resampling are compositions of index and matrix ops.
public static partial class F
{
    /// <summary>
    /// Max over windows of <paramref name="x"/> [N, C, H, W], as torch.nn.functional.max_pool2d: sizes are an int or
    /// an (H, W) pair, the stride defaults to the kernel size, padding counts as −∞, and
    /// <paramref name="ceilMode"/> adds a last window that runs past the edge where the floor would drop input.
    /// </summary>
    public static Tensor MaxPool2d(Tensor x, PerAxis kernelSize, PerAxis stride = default, PerAxis padding = default,
        PerAxis dilation = default, bool ceilMode = false) =>
        MaxPoolWithIndices("MaxPool2d", x, kernelSize, stride, padding, dilation, ceilMode).Values;

    /// <summary>
    /// <see cref="MaxPool2d"/> with return_indices: also each maximum's Int64 position within its H·W plane, as
    /// <see cref="MaxUnpool2d"/> takes it.
    /// </summary>
    public static (Tensor Values, Tensor Indices) MaxPool2dWithIndices(Tensor x, PerAxis kernelSize,
        PerAxis stride = default, PerAxis padding = default, PerAxis dilation = default, bool ceilMode = false) =>
        MaxPoolWithIndices("MaxPool2dWithIndices", x, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary>Max over windows of <paramref name="x"/> [N, C, L], as torch.nn.functional.max_pool1d.</summary>
    public static Tensor MaxPool1d(Tensor x, int kernelSize, int? stride = null, int padding = 0, int dilation = 1,
        bool ceilMode = false) =>
        MaxPool1dWithIndices(x, kernelSize, stride, padding, dilation, ceilMode).Values;

    /// <summary><see cref="MaxPool1d"/> with each maximum's Int64 position along L.</summary>
    public static (Tensor Values, Tensor Indices) MaxPool1dWithIndices(Tensor x, int kernelSize, int? stride = null,
        int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        RequireRank("MaxPool1d", x, 3, "input", "[N, C, L]");
        var (values, indices) = MaxPoolWithIndices("MaxPool1d", x.Unsqueeze(2), (1, kernelSize),
            (1, stride ?? kernelSize), (0, padding), (1, dilation), ceilMode);
        return (values.Squeeze(2), indices.Squeeze(2));
    }

    private static (Tensor Values, Tensor Indices) MaxPoolWithIndices(string op, Tensor x, PerAxis kernelSize,
        PerAxis stride, PerAxis padding, PerAxis dilation, bool ceilMode)
    {
        var window = PoolWindow(op, x, kernelSize, stride, padding, dilation, ceilMode);
        var input = x.Contiguous();
        int planes = window.N * window.C, outH = window.OutH, outW = window.OutW;
        var y = Unfilled([window.N, window.C, outH, outW], x.DType, x.Device);
        var winners = Unfilled([planes, outH * outW], DType.Int64, x.Device);
        x.Backend.MaxPool2d(input, window, y, winners);
        var values = Op.RecordFused(op, y, input, (g, pass) =>
        {
            if (pass.CreateGraph)   // recorded, so the rule differentiates again
                return Tensor.ScatterAdd(Tensor.ZerosLike(input).Reshape(planes, window.H * window.W), 1, winners,
                    g.Reshape(planes, outH * outW)).Reshape(input.shape);
            var dx = Unfilled([planes, window.H * window.W], x.DType, x.Device);
            // winners in range by construction
            x.Backend.MaxPool2dBackward(g.Contiguous().Reshape(planes, outH * outW), winners, window, dx);
            return dx.Reshape(input.shape);
        }, saved: []);   // the winners are its own, and of the input it reads only the shape
        return (values, winners.Reshape(window.N, window.C, outH, outW));
    }

    /// <summary>
    /// Mean over windows of <paramref name="x"/> [N, C, H, W], as torch.nn.functional.avg_pool2d: the stride defaults
    /// to the kernel size; zero padding counts in the divisor unless <paramref name="countIncludePad"/> is false.
    /// </summary>
    public static Tensor AvgPool2d(Tensor x, PerAxis kernelSize, PerAxis stride = default, PerAxis padding = default,
        bool ceilMode = false, bool countIncludePad = true)
    {
        var window = PoolWindow("AvgPool2d", x, kernelSize, stride, padding, 1, ceilMode);
        var y = AvgPool(x.Contiguous(), window);
        if (countIncludePad || (window.PadH == 0 && window.PadW == 0 && !ceilMode)) return y;
        // the mean of ones over each window is its real elements over its padded size: dividing by it leaves the
        // sum over the real elements alone
        Tensor share;
        using (Autograd.NoGrad())
            share = AvgPool(Tensor.Ones([1, 1, window.H, window.W], x.DType, device: x.Device),
                window with { N = 1, C = 1 });
        return y / share;
    }

    /// <summary>Mean over windows of <paramref name="x"/> [N, C, L], as torch.nn.functional.avg_pool1d.</summary>
    public static Tensor AvgPool1d(Tensor x, int kernelSize, int? stride = null, int padding = 0,
        bool ceilMode = false, bool countIncludePad = true)
    {
        RequireRank("AvgPool1d", x, 3, "input", "[N, C, L]");
        return AvgPool2d(x.Unsqueeze(2), (1, kernelSize), (1, stride ?? kernelSize), (0, padding), ceilMode,
            countIncludePad).Squeeze(2);
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

    /// <summary>
    /// The partial inverse of max pooling (torch.nn.functional.max_unpool2d): zeros of the pooled input's size, each
    /// value of <paramref name="x"/> [N, C, h, w] written at its position in <paramref name="indices"/> (as
    /// <see cref="MaxPool2dWithIndices"/> gives them). The size is (h − 1)·stride − 2·padding + kernel per axis
    /// unless <paramref name="outputSize"/> names it.
    /// </summary>
    public static Tensor MaxUnpool2d(Tensor x, Tensor indices, PerAxis kernelSize, PerAxis stride = default,
        PerAxis padding = default, PerAxis outputSize = default)
    {
        const string op = "MaxUnpool2d";
        RequireRank(op, x, 4, "input", "[N, C, h, w]");
        if (!Shapes.Equal(x.shape, indices.shape) || indices.DType != DType.Int64)
            throw new ArgumentException($"{op}: indices must be Int64 of the input's shape {Shapes.Format(x.shape)}, " +
                $"got {indices.DType} {Shapes.Format(indices.shape)}");
        int[] k = kernelSize.Resolve(op, "kernelSize", 2, 0);
        int[] s = stride.IsDefault ? k : stride.Resolve(op, "stride", 2, 1);
        int[] p = padding.Resolve(op, "padding", 2, 0);
        int[] size = outputSize.IsDefault
            ? [(x.shape[2] - 1) * s[0] - 2 * p[0] + k[0], (x.shape[3] - 1) * s[1] - 2 * p[1] + k[1]]
            : outputSize.Resolve(op, "outputSize", 2, 0);
        int n = x.shape[0], c = x.shape[1], positions = x.shape[2] * x.shape[3];
        var flat = indices.Reshape(n * c, positions);
        // overlapping windows share winners: a position named twice gets the value once (the larger, where a
        // caller changed the values between pooling and unpooling), and each of its sources its full gradient
        Tensor y;
        using (Autograd.NoGrad())
            y = Tensor.Zeros([n * c, size[0] * size[1]], x.DType, device: x.Device)
                .ScatterReduce(1, flat, x.Reshape(n * c, positions), "amax", includeSelf: false)
                .Reshape(n, c, size[0], size[1]);
        return Op.Record(op, y, x, g => g.Reshape(n * c, size[0] * size[1]).Gather(1, flat).Reshape(x.shape),
            saved: [flat]);
    }

    /// <summary>
    /// Mean over the adaptive windows of <paramref name="x"/> [N, C, H, W] that give <paramref name="outputSize"/>
    /// (torch.nn.functional.adaptive_avg_pool2d): output row i averages input rows ⌊i·H/outH⌋ to
    /// ⌈(i+1)·H/outH⌉ − 1.
    /// Each axis is a product with a matrix of those means.
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, PerAxis outputSize)
    {
        const string op = "AdaptiveAvgPool2d";
        Op.RequireFloat(op, x);
        RequireRank(op, x, 4, "input", "[N, C, H, W]");
        int[] size = AdaptiveSize(op, x, outputSize, 2);
        var rows = AdaptiveMeans(x.shape[2], size[0], x);
        var columns = AdaptiveMeans(x.shape[3], size[1], x);
        return rows.MatMul(x).MatMul(columns.MT);
    }

    /// <summary>Mean over adaptive windows of <paramref name="x"/> [N, C, L] (adaptive_avg_pool1d).</summary>
    public static Tensor AdaptiveAvgPool1d(Tensor x, int outputSize)
    {
        const string op = "AdaptiveAvgPool1d";
        Op.RequireFloat(op, x);
        RequireRank(op, x, 3, "input", "[N, C, L]");
        AdaptiveSize(op, x, outputSize, 1);
        return x.MatMul(AdaptiveMeans(x.shape[2], outputSize, x).MT);
    }

    /// <summary>
    /// Max over the adaptive windows of <paramref name="x"/> [N, C, H, W] that give <paramref name="outputSize"/>
    /// (torch.nn.functional.adaptive_max_pool2d).
    /// </summary>
    public static Tensor AdaptiveMaxPool2d(Tensor x, PerAxis outputSize) =>
        AdaptiveMaxPool2dWithIndices(x, outputSize).Values;

    /// <summary>
    /// <see cref="AdaptiveMaxPool2d"/> with, for each output, the flat index (row·W + column) of the first maximum
    /// of its window in row-major order, as adaptive_max_pool2d with return_indices=True; the gradient goes there.
    /// </summary>
    public static (Tensor Values, Tensor Indices) AdaptiveMaxPool2dWithIndices(Tensor x, PerAxis outputSize)
    {
        const string op = "AdaptiveMaxPool2dWithIndices";
        Op.RequireFloat(op, x);
        RequireRank(op, x, 4, "input", "[N, C, H, W]");
        int[] size = AdaptiveSize(op, x, outputSize, 2);
        return AdaptiveMax(x, [x.shape[2], x.shape[3]], size);
    }

    /// <summary>Max over adaptive windows of <paramref name="x"/> [N, C, L] (adaptive_max_pool1d).</summary>
    public static Tensor AdaptiveMaxPool1d(Tensor x, int outputSize) =>
        AdaptiveMaxPool1dWithIndices(x, outputSize).Values;

    /// <summary><see cref="AdaptiveMaxPool1d"/> with the index of each window's first maximum.</summary>
    public static (Tensor Values, Tensor Indices) AdaptiveMaxPool1dWithIndices(Tensor x, int outputSize)
    {
        const string op = "AdaptiveMaxPool1dWithIndices";
        Op.RequireFloat(op, x);
        RequireRank(op, x, 3, "input", "[N, C, L]");
        AdaptiveSize(op, x, outputSize, 1);
        return AdaptiveMax(x, [x.shape[2]], [outputSize]);
    }

    private static int[] AdaptiveSize(string op, Tensor x, PerAxis outputSize, int axes)
    {
        int[] size = outputSize.Resolve(op, "outputSize", axes, 0);
        for (int a = 0; a < axes; a++)
            if (size[a] < 1 || x.shape[x.NDim - axes + a] < 1)
                throw new ArgumentException($"{op}: output size {Shapes.Format(size)} must be positive for input " +
                    $"{Shapes.Format(x.shape)}");
        return size;
    }

    // input positions [start, end) of adaptive window i of `count` over `size`
    private static (int Start, int End) AdaptiveWindow(int i, int size, int count) =>
        ((int)((long)i * size / count), (int)(((long)(i + 1) * size + count - 1) / count));

    // [count, size]: row i holds 1/length over window i
    private static Tensor AdaptiveMeans(int size, int count, Tensor like)
    {
        var means = new double[count * size];
        for (int i = 0; i < count; i++)
        {
            var (start, end) = AdaptiveWindow(i, size, count);
            for (int j = start; j < end; j++) means[i * size + j] = 1.0 / (end - start);
        }
        return Tensor.FromArray(means, [count, size]).To(like.DType).To(like.Device);
    }

    // the max of each adaptive window over the trailing dims of x: every window's flat positions gathered in row-major
    // order as [.., outputs, widest] (a short window repeats its last row and column, copies of earlier elements, so
    // the first maximum stays the first), reduced, and the winners' positions looked up
    private static (Tensor Values, Tensor Indices) AdaptiveMax(Tensor x, int[] input, int[] output)
    {
        int axes = input.Length;
        var widest = new int[axes];
        for (int a = 0; a < axes; a++)
            for (int i = 0; i < output[a]; i++)
            {
                var (start, end) = AdaptiveWindow(i, input[a], output[a]);
                widest[a] = Math.Max(widest[a], end - start);
            }
        int outputs = Shapes.Numel(output), window = Shapes.Numel(widest);
        var positions = new long[outputs * window];
        var cell = new int[axes];
        for (int o = 0; o < outputs; o++)
            for (int t = 0; t < window; t++)
            {
                long flat = 0;
                for (int a = axes - 1, rest = o, step = t; a >= 0; a--)
                {
                    (cell[a], rest) = (rest % output[a], rest / output[a]);
                    var (start, end) = AdaptiveWindow(cell[a], input[a], output[a]);
                    int offset = step % widest[a];
                    step /= widest[a];
                    flat += (long)Math.Min(start + offset, end - 1) * Shapes.Numel(input[(a + 1)..]);
                }
                positions[o * window + t] = flat;
            }
        int lead = x.NDim - axes;
        var index = Tensor.FromArray(positions).To(x.Device);
        var gathered = x.Reshape([.. x.shape[..lead], -1]).IndexSelect(lead, index)
            .Reshape([.. x.shape[..lead], outputs, window]);
        var (values, winners) = gathered.Max(-1);
        var indices = index.Reshape(outputs, window).Expand([.. x.shape[..lead], outputs, window])
            .Gather(-1, winners.Unsqueeze(-1)).Squeeze(-1);
        return (values.Reshape([.. x.shape[..lead], .. output]), indices.Reshape([.. x.shape[..lead], .. output]));
    }

    /// <summary>
    /// <paramref name="x"/> [N, C, L], [N, C, H, W] or [N, C, D, H, W] resampled to <paramref name="size"/> (an int or
    /// one per axis) or by <paramref name="scaleFactor"/>, as torch.nn.functional.interpolate with mode "nearest",
    /// "linear" (3-D), "bilinear" or "bicubic" (4-D, bicubic with PyTorch's a = −0.75 and borders clamped) or
    /// "trilinear" (5-D); <paramref name="alignCorners"/> maps the corner pixels onto each other for the others.
    /// With <paramref name="antialias"/> (bilinear and bicubic), a downsampling axis weighs every input position under
    /// a triangle or Keys cubic (a = −0.5) stretched by the scale, as PyTorch and PIL, so no input is skipped.
    /// Every mode but nearest is a product with an interpolation matrix per axis, nearest an index select.
    /// </summary>
    public static Tensor Interpolate(Tensor x, PerAxis size = default, double? scaleFactor = null,
        string mode = "nearest", bool alignCorners = false, bool antialias = false)
    {
        const string op = "Interpolate";
        Op.RequireFloat(op, x);
        if (x.NDim is not (3 or 4 or 5))
            throw new ArgumentException($"{op}: expected [N, C, L], [N, C, H, W] or [N, C, D, H, W], got " +
                Shapes.Format(x.shape));
        int axes = x.NDim - 2;
        int? modeAxes = mode switch { "nearest" => axes, "linear" => 1, "bilinear" or "bicubic" => 2, "trilinear" => 3,
            _ => null };
        if (modeAxes != axes)
            throw new ArgumentException($"{op}: mode \"{mode}\" does not take input {Shapes.Format(x.shape)}: " +
                "\"nearest\" takes 3-D to 5-D, \"linear\" 3-D, \"bilinear\" and \"bicubic\" 4-D, \"trilinear\" 5-D");
        if (antialias && mode is not ("bilinear" or "bicubic"))
            throw new ArgumentException($"{op}: antialias is defined for \"bilinear\" and \"bicubic\", not \"{mode}\"");
        if (size.IsDefault == (scaleFactor is null))
            throw new ArgumentException($"{op}: give either a size or a scale factor");
        if (scaleFactor is <= 0) throw new ArgumentException($"{op}: scale factor must be positive, got {scaleFactor}");
        var y = x;
        for (int a = 0; a < axes; a++)
        {
            int dim = 2 + a, input = x.shape[dim];
            int output = scaleFactor is { } f ? (int)Math.Floor(input * f) : size.Resolve(op, "size", axes, 0)[a];
            if (output < 1)
                throw new ArgumentException($"{op}: output size along dim {dim} must be positive, got {output}");
            if (mode == "nearest")
            {
                y = y.IndexSelect(dim, NearestSources(input, output, scaleFactor, x.Device));
                continue;
            }
            var weights = antialias ? FilterWeights(input, output, scaleFactor, alignCorners, mode == "bicubic", x)
                : mode == "bicubic" ? CubicWeights(input, output, scaleFactor, alignCorners, x)
                : LinearWeights(input, output, scaleFactor, alignCorners, x);
            y = weights.MatMul(y.Transpose(dim, -1).Unsqueeze(-1)).Squeeze(-1).Transpose(dim, -1);
        }
        return y;
    }

    // PyTorch's nearest source, floor(i·scale) in single precision, the scale being 1/scaleFactor or input/output
    private static Tensor NearestSources(int input, int output, double? scaleFactor, Device device)
    {
        float scale = scaleFactor is { } f ? (float)(1 / f) : (float)input / output;
        var sources = new long[output];
        for (int i = 0; i < output; i++) sources[i] = Math.Min((long)MathF.Floor(i * scale), input - 1);
        return Tensor.FromArray(sources).To(device);
    }

    // input positions per output position, PyTorch's area_pixel scale: corners onto corners, or the scale factor's
    // inverse, or the size ratio
    private static double SourceScale(int input, int output, double? scaleFactor, bool alignCorners) =>
        alignCorners ? (output > 1 ? (double)(input - 1) / (output - 1) : 0)
            : scaleFactor is { } f ? 1 / f : (double)input / output;

    // [output, input]: row i weighs the two input positions around its source, PyTorch's area_pixel source index
    private static Tensor LinearWeights(int input, int output, double? scaleFactor, bool alignCorners, Tensor like)
    {
        double scale = SourceScale(input, output, scaleFactor, alignCorners);
        var weights = new double[output * input];
        for (int i = 0; i < output; i++)
        {
            double source = alignCorners ? i * scale : Math.Max((i + 0.5) * scale - 0.5, 0);
            int lo = Math.Min((int)source, input - 1), hi = Math.Min(lo + 1, input - 1);
            double frac = source - lo;
            weights[i * input + lo] += 1 - frac;
            weights[i * input + hi] += frac;
        }
        return Tensor.FromArray(weights, [output, input]).To(like.DType).To(like.Device);
    }

    // [output, input]: row i weighs the four input positions around its source by Keys' cubic convolution with
    // a = −0.75, as PyTorch's bicubic; the source is not clamped at 0, and taps past a border land on the border
    private static Tensor CubicWeights(int input, int output, double? scaleFactor, bool alignCorners, Tensor like)
    {
        const double a = -0.75;
        double scale = SourceScale(input, output, scaleFactor, alignCorners);
        var weights = new double[output * input];
        for (int i = 0; i < output; i++)
        {
            double source = alignCorners ? i * scale : (i + 0.5) * scale - 0.5;
            int floor = (int)Math.Floor(source);
            double t = source - floor;
            // |d| ≤ 1: ((a + 2)|d| − (a + 3))d² + 1; 1 < |d| < 2: ((a|d| − 5a)|d| + 8a)|d| − 4a
            double Near(double d) => ((a + 2) * d - (a + 3)) * d * d + 1;
            double Far(double d) => ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
            double[] taps = [Far(t + 1), Near(t), Near(1 - t), Far(2 - t)];
            for (int k = 0; k < 4; k++) weights[i * input + Math.Clamp(floor - 1 + k, 0, input - 1)] += taps[k];
        }
        return Tensor.FromArray(weights, [output, input]).To(like.DType).To(like.Device);
    }

    // [output, input] for antialias, as PyTorch (from PIL): row i weighs the inputs within the filter's support
    // around its center scale·(i + 0.5), the filter (a triangle, or Keys' cubic with a = −0.5) widened by the scale
    // when it is above 1, and the weights normalized to sum to 1, so the borders need no clamping
    private static Tensor FilterWeights(int input, int output, double? scaleFactor, bool alignCorners, bool cubic,
        Tensor like)
    {
        const double a = -0.5;
        double scale = SourceScale(input, output, scaleFactor, alignCorners);
        double stretch = Math.Max(scale, 1), support = (cubic ? 2 : 1) * stretch;
        double Filter(double d)
        {
            d = Math.Abs(d);
            if (!cubic) return Math.Max(1 - d, 0);
            return d < 1 ? ((a + 2) * d - (a + 3)) * d * d + 1 : d < 2 ? (((d - 5) * d + 8) * d - 4) * a : 0;
        }
        var weights = new double[output * input];
        for (int i = 0; i < output; i++)
        {
            double center = scale * (i + 0.5);
            int first = Math.Max((int)(center - support + 0.5), 0);
            int end = Math.Min((int)(center + support + 0.5), input);
            double total = 0;
            for (int j = first; j < end; j++) total += weights[i * input + j] = Filter((j - center + 0.5) / stretch);
            if (total != 0)
                for (int j = first; j < end; j++) weights[i * input + j] /= total;
        }
        return Tensor.FromArray(weights, [output, input]).To(like.DType).To(like.Device);
    }

    /// <summary>
    /// [N, C·r², H, W] rearranged into [N, C, H·r, W·r] (torch.nn.functional.pixel_shuffle): each group of r²
    /// channels becomes an r × r block of pixels.
    /// </summary>
    public static Tensor PixelShuffle(Tensor x, int upscaleFactor)
    {
        const string op = "PixelShuffle";
        RequireRank(op, x, 4, "input", "[N, C·r², H, W]");
        int r = upscaleFactor, n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        if (r < 1 || c % (r * r) != 0)
            throw new ArgumentException($"{op}: {c} channels of {Shapes.Format(x.shape)} are not a multiple of {r}²");
        return x.Reshape(n, c / (r * r), r, r, h, w).Permute(0, 1, 4, 2, 5, 3).Reshape(n, c / (r * r), h * r, w * r);
    }

    /// <summary>The inverse of <see cref="PixelShuffle"/>: [N, C, H·r, W·r] into [N, C·r², H, W].</summary>
    public static Tensor PixelUnshuffle(Tensor x, int downscaleFactor)
    {
        const string op = "PixelUnshuffle";
        RequireRank(op, x, 4, "input", "[N, C, H·r, W·r]");
        int r = downscaleFactor, n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        if (r < 1 || h % r != 0 || w % r != 0)
            throw new ArgumentException($"{op}: height and width of {Shapes.Format(x.shape)} are not multiples of {r}");
        return x.Reshape(n, c, h / r, r, w / r, r).Permute(0, 1, 3, 5, 2, 4).Reshape(n, c * r * r, h / r, w / r);
    }

    private static Window2d PoolWindow(string op, Tensor x, PerAxis kernelSize, PerAxis stride, PerAxis padding,
        PerAxis dilation, bool ceilMode)
    {
        Op.RequireFloat(op, x);
        RequireRank(op, x, 4, "input", "[N, C, H, W]");
        int[] k = kernelSize.Resolve(op, "kernelSize", 2, 0);
        int[] s = stride.IsDefault ? k : stride.Resolve(op, "stride", 2, 1), p = padding.Resolve(op, "padding", 2, 0);
        if (p[0] * 2 > k[0] || p[1] * 2 > k[1])
            throw new ArgumentException($"{op}: padding {Shapes.Format(p)} must be at most half the kernel size " +
                $"{Shapes.Format(k)}");
        return Window(op, x, k[0], k[1], s, p, dilation.Resolve(op, "dilation", 2, 1), ceilMode);
    }
}
