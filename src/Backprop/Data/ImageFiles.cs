using System.Buffers.Binary;
using System.IO.Compression;

namespace Backprop.Data;

/// <summary>
/// IDX files (the MNIST format): a big-endian header of two zero bytes, a type code (0x08 unsigned byte, 0x09
/// signed byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64) and the number of dims, each dim's size as an
/// int32, then the values row-major. A name ending in <c>.gz</c> is read through gzip.
/// </summary>
public static class Idx
{
    /// <summary>The file's array as a tensor of its shape: integers as Int64, floats as Float32 or Float64.</summary>
    public static Tensor Read(string path)
    {
        var (type, shape, data) = ReadRaw(path);
        int n = Shapes.Numel(shape);
        return type switch
        {
            0x08 => Tensor.FromArray(data.Select(b => (long)b).ToArray(), shape),
            0x09 => Tensor.FromArray(data.Select(b => (long)(sbyte)b).ToArray(), shape),
            0x0B => Tensor.FromArray(Enumerable.Range(0,
                n).Select(i => (long)BinaryPrimitives.ReadInt16BigEndian(data.AsSpan(2 * i))).ToArray(), shape),
            0x0C => Tensor.FromArray(Enumerable.Range(0,
                n).Select(i => (long)BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4 * i))).ToArray(), shape),
            0x0D => Tensor.FromArray(Enumerable.Range(0,
                n).Select(i => BinaryPrimitives.ReadSingleBigEndian(data.AsSpan(4 * i))).ToArray(), shape),
            _ => Tensor.FromArray(Enumerable.Range(0,
                n).Select(i => BinaryPrimitives.ReadDoubleBigEndian(data.AsSpan(8 * i))).ToArray(), shape),
        };
    }

    /// <summary>The type code, the shape and the bytes of the values, checked against the header.</summary>
    internal static (byte Type, int[] Shape, byte[] Data) ReadRaw(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        using (var file = File.OpenRead(path))
        using (var stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file,
            CompressionMode.Decompress) : (Stream)file)
        using (var memory = new MemoryStream())
        {
            stream.CopyTo(memory);
            bytes = memory.ToArray();
        }
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException($"Idx: {path} does not start with an IDX header (two zero bytes, a type, " +
                $"the dims)");
        byte type = bytes[2];
        int size = type switch
        {
            0x08 or 0x09 => 1,
            0x0B => 2,
            0x0C or 0x0D => 4,
            0x0E => 8,
            _ => throw new InvalidDataException($"Idx: {path} has type code 0x{type:X2}, not one of 08, 09, 0B, 0C, " +
                $"0D, 0E"),
        };
        int dims = bytes[3];
        if (bytes.Length < 4 + 4 * dims) throw new InvalidDataException($"Idx: {path} ends inside its header of " +
            $"{dims} dims");
        var shape = new int[dims];
        long count = 1;
        for (int d = 0; d < dims; d++)
        {
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (shape[d] < 0) throw new InvalidDataException($"Idx: {path} gives dim {d} the size {shape[d]}");
            count *= shape[d];
        }
        long expected = 4 + 4L * dims + count * size;
        if (bytes.Length != expected)
            throw new InvalidDataException($"Idx: {path} holds {bytes.Length} bytes, but its header [{string.Join(", " +
                "", shape)}] " +
                $"of {size}-byte values needs {expected}");
        return (type, shape, bytes[(4 + 4 * dims)..]);
    }
}

/// <summary>
/// MNIST-format images and labels from a folder (torchvision's MNIST over files already there; nothing is
/// downloaded): <c>train-images-idx3-ubyte</c> and <c>train-labels-idx1-ubyte</c>, or the <c>t10k-</c> pair, each
/// possibly gzipped (<c>.gz</c>). Items are (image [1, H, W] in float32 scaled to [0, 1] and transformed, label).
/// </summary>
public sealed class Mnist : Dataset<(Tensor Image, long Label)>
{
    private readonly byte[] _pixels;
    private readonly byte[] _labels;
    private readonly int _height, _width;
    private readonly Func<Tensor, Tensor>? _transform;

    /// <summary>Reads the training (or test) pair from <paramref name="folder"/>.</summary>
    public Mnist(string folder, bool train = true, Func<Tensor, Tensor>? transform = null)
    {
        string prefix = train ? "train" : "t10k";
        var (imageType, imageShape, pixels) = Idx.ReadRaw(Find(folder, $"{prefix}-images-idx3-ubyte"));
        var (labelType, labelShape, labels) = Idx.ReadRaw(Find(folder, $"{prefix}-labels-idx1-ubyte"));
        if (imageType != 0x08 || imageShape.Length != 3 || labelType != 0x08 || labelShape.Length != 1
            || labelShape[0] != imageShape[0])
            throw new InvalidDataException($"Mnist: {folder} holds images [{string.Join(", ", imageShape)}] and " +
                "labels " +
                $"[{string.Join(", ", labelShape)}]; expected unsigned bytes [N, H, W] and [N]");
        _pixels = pixels;
        _labels = labels;
        _height = imageShape[1];
        _width = imageShape[2];
        _transform = transform;
    }

    // the file itself or its gzipped form, named in the error when neither is there
    internal static string Find(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        if (File.Exists(path)) return path;
        if (File.Exists(path + ".gz")) return path + ".gz";
        throw new FileNotFoundException($"{name} (or {name}.gz) is not in {folder}", path);
    }

    /// <inheritdoc/>
    public override int Count => _labels.Length;

    /// <inheritdoc/>
    public override (Tensor Image, long Label) this[int index]
    {
        get
        {
            int size = _height * _width, start = CheckIndex(index) * size;
            var image = Tensor.FromArray(_pixels.AsSpan(start, size).ToArray().Select(b => b / 255f).ToArray(), [1,
                _height, _width]);
            return (_transform is null ? image : _transform(image), _labels[index]);
        }
    }
}

/// <summary>
/// CIFAR-10's binary batches from a folder (nothing is downloaded): <c>data_batch_1.bin</c> … <c>data_batch_5.bin</c>
/// for training, <c>test_batch.bin</c> for testing; each record is a label byte then 3·32·32 bytes, channel by
/// channel. Items are (image [3, 32, 32] in float32 scaled to [0, 1] and transformed, label).
/// </summary>
public sealed class Cifar10 : Dataset<(Tensor Image, long Label)>
{
    private const int Side = 32, ImageBytes = 3 * Side * Side, RecordBytes = ImageBytes + 1;
    private readonly byte[] _records;
    private readonly Func<Tensor, Tensor>? _transform;

    /// <summary>The ten class names, in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>Reads the training (or test) batches from <paramref name="folder"/>.</summary>
    public Cifar10(string folder, bool train = true, Func<Tensor, Tensor>? transform = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var names = train ? Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin") : ["test_batch.bin"];
        using var all = new MemoryStream();
        foreach (var name in names)
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path)) throw new FileNotFoundException($"Cifar10: {name} is not in {folder}", path);
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length % RecordBytes != 0)
                throw new InvalidDataException($"Cifar10: {path} holds {bytes.Length} bytes, not a whole number of " +
                    $"{RecordBytes}-byte records");
            for (int r = 0; r < bytes.Length; r += RecordBytes)
                if (bytes[r] > 9) throw new InvalidDataException($"Cifar10: record {r / RecordBytes} of {path} has " +
                    $"label {bytes[r]}");
            all.Write(bytes);
        }
        _records = all.ToArray();
        _transform = transform;
    }

    /// <inheritdoc/>
    public override int Count => _records.Length / RecordBytes;

    /// <inheritdoc/>
    public override (Tensor Image, long Label) this[int index]
    {
        get
        {
            int start = CheckIndex(index) * RecordBytes;
            var pixels = _records.AsSpan(start + 1, ImageBytes).ToArray().Select(b => b / 255f).ToArray();
            var image = Tensor.FromArray(pixels, [3, Side, Side]);
            return (_transform is null ? image : _transform(image), _records[start]);
        }
    }
}
