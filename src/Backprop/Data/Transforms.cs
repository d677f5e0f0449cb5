namespace Backprop.Data;

/// <summary>
/// Transforms of one image tensor [C, H, W] (torchvision.transforms), as functions to compose and hand to a data
/// set. The random ones draw from the <see cref="Generator"/> given, so a seed fixes every epoch's augmentation.
/// </summary>
public static class Transforms
{
    /// <summary>The transforms applied in order.</summary>
    public static Func<Tensor, Tensor> Compose(params Func<Tensor, Tensor>[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        return x => transforms.Aggregate(x, (y, t) => t(y));
    }

    /// <summary>Channel c becomes (x − mean[c]) / std[c].</summary>
    public static Func<Tensor, Tensor> Normalize(double[] mean, double[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length != std.Length || mean.Length == 0 || std.Any(s => !(s > 0)))
            throw new ArgumentException($"Normalize: needs as many means as deviations (got {mean.Length} and " +
                $"{std.Length}), each deviation > 0");
        return x =>
        {
            if (x.NDim < 1 || x.Size(0) != mean.Length)
                throw new ArgumentException($"Normalize: an image of shape {Shapes.Format(x.Shape)} does not have " +
                    $"{mean.Length} channels first");
            var shape = new int[x.NDim];
            Array.Fill(shape, 1);
            shape[0] = mean.Length;
            var m = Tensor.FromArray(mean, shape).To(x.DType).To(x.Device);
            var s = Tensor.FromArray(std, shape).To(x.DType).To(x.Device);
            return (x - m) / s;
        };
    }

    /// <summary>
    /// A random <paramref name="height"/> × <paramref name="width"/> window of the image (its last two dims),
    /// after padding each side with <paramref name="padding"/> zeros; every window position is equally likely.
    /// </summary>
    public static Func<Tensor, Tensor> RandomCrop(int height, int width, Generator generator, int padding = 0)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (height <= 0 || width <= 0 || padding < 0)
            throw new ArgumentException($"RandomCrop: the size must be positive and the padding ≥ 0, got " +
                $"{height}×{width} and {padding}");
        return x =>
        {
            if (x.NDim < 2) throw new ArgumentException($"RandomCrop: an image needs two dims, got shape " +
                $"{Shapes.Format(x.Shape)}");
            var padded = padding > 0 ? x.Pad([padding, padding, padding, padding]) : x;
            int h = padded.Size(-2), w = padded.Size(-1);
            if (h < height || w < width)
                throw new ArgumentException(
                    $"RandomCrop: a {height}×{width} window does not fit an image of {h}×{w} (padded)");
            int top = (int)(generator.NextUInt64() % (ulong)(h - height + 1));
            int left = (int)(generator.NextUInt64() % (ulong)(w - width + 1));
            return padded.Narrow(-2, top, height).Narrow(-1, left, width);
        };
    }

    /// <summary>The image mirrored left to right (its last dim) with probability <paramref name="p"/>.</summary>
    public static Func<Tensor, Tensor> RandomHorizontalFlip(Generator generator, double p = 0.5)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (!(p is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p,
            $"RandomHorizontalFlip: p must be in [0, 1], got {p}");
        return x => generator.NextDouble() < p ? x.Flip(-1) : x;
    }
}
