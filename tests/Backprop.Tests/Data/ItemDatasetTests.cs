using System.Buffers.Binary;
using System.IO.Compression;
using Backprop.Data;

namespace Backprop.Tests.Data;

/// <summary>Data sets users write, their loader and collate, transforms, random splits, IDX and CIFAR-10.</summary>
public sealed class ItemDatasetTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory().FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // a user's data set of sentences of varying length: an item type that is no tensor
    private sealed class Sentences : Dataset<string>
    {
        private static readonly string[] Words = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff", "ggggggg"];

        public override int Count => Words.Length;

        public override string this[int index] => Words[CheckIndex(index)];
    }

    // pads each batch's words to its longest, as a collate function for sequences does
    private static (Tensor Codes, Tensor Lengths) PadWords(IReadOnlyList<string> words)
    {
        int longest = words.Max(w => w.Length);
        var codes = new long[words.Count * longest];
        for (int i = 0; i < words.Count; i++)
            for (int j = 0; j < words[i].Length; j++) codes[i * longest + j] = words[i][j];
        return (Tensor.FromArray(codes, [words.Count, longest]),
            Tensor.FromArray(words.Select(w => (long)w.Length).ToArray()));
    }

    [Fact]
    public void A_users_data_set_of_any_item_type_is_batched_by_its_collate_function()
    {
        var loader = new DataLoader<string, (Tensor Codes, Tensor Lengths)>(new Sentences(), 3, PadWords);
        var batches = loader.ToList();
        Assert.Equal(3, loader.Count);
        Assert.Equal([3, 3], batches[0].Codes.Shape);
        Assert.Equal([3, 6], batches[1].Codes.Shape);
        Assert.Equal([1, 7], batches[2].Codes.Shape);
        Assert.Equal([4L, 5, 6], batches[1].Lengths.ToArray<long>());
        Assert.Equal(2, new DataLoader<string, int>(new Sentences(), 3, b => b.Count, dropLast: true).Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sentences()[7]);
    }

    [Fact]
    public void Shuffling_visits_every_item_once_per_epoch_in_an_order_the_seed_fixes()
    {
        var data = new ListDataset<int>(20, i => i);
        List<int> Epoch(DataLoader<int, int[]> l) => l.SelectMany(b => b).ToList();
        var loader = new DataLoader<int, int[]>(data, 6, b => b.ToArray(), shuffle: true, seed: 5);
        var first = Epoch(loader);
        var second = Epoch(loader);
        Assert.Equal(Enumerable.Range(0, 20), first.Order());
        Assert.NotEqual(first, second);
        Assert.NotEqual(Enumerable.Range(0, 20), first);
        var again = new DataLoader<int, int[]>(data, 6, b => b.ToArray(), shuffle: true, seed: 5);
        Assert.Equal(first, Epoch(again));
        Assert.Equal(second, Epoch(again));
    }

    [Fact]
    public void Labelled_items_collate_to_stacked_inputs_and_int64_labels()
    {
        var data = new ListDataset<(Tensor, long)>(5, i => (Tensor.Full([2, 2], i), i % 3));
        var (inputs, labels) = new DataLoader<(Tensor Input, long Label), (Tensor, Tensor)>(data, 4,
            Collate.Labelled).First();
        Assert.Equal([4, 2, 2], inputs.Shape);
        Assert.Equal(DType.Int64, labels.DType);
        Assert.Equal([0L, 1, 2, 0], labels.ToArray<long>());
        Assert.Equal(3f, inputs[3].ToArray<float>()[0]);
    }

    [Fact]
    public void Random_split_partitions_the_items_by_the_generator()
    {
        var data = new ListDataset<int>(10, i => i * 10);
        var parts = DatasetSplits.RandomSplit(data, [7, 3], new Generator(1));
        Assert.Equal([7, 3], parts.Select(p => p.Count));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * 10), parts.SelectMany(p => p).Order());
        var same = DatasetSplits.RandomSplit(data, [7, 3], new Generator(1));
        Assert.Equal(parts[1].ToArray(), same[1].ToArray());
        Assert.NotEqual(Enumerable.Range(0, 7).Select(i => i * 10), parts[0].ToArray());
        Assert.Contains("add up", Assert.Throws<ArgumentException>(() => DatasetSplits.RandomSplit(data, [7, 4],
            new Generator(1))).Message);
    }

    [Fact]
    public void Transforms_normalize_crop_and_flip_as_torchvision()
    {
        var image = Tensor.Arange(2 * 3 * 4, DType.Float32).Reshape(2, 3, 4);
        var normalized = Transforms.Normalize([1, 12], [2, 4])(image);
        Assert.Equal((0f - 1) / 2, normalized[0, 0, 0].Item<float>());
        Assert.Equal((23f - 12) / 4, normalized[1, 2, 3].Item<float>());
        var flipped = Transforms.RandomHorizontalFlip(new Generator(0), p: 1)(image);
        Assert.Equal([3f, 2, 1, 0], flipped[0, 0].ToArray<float>());
        Assert.Same(image, Transforms.RandomHorizontalFlip(new Generator(0), p: 0)(image));
        var crop = Transforms.RandomCrop(3, 4, new Generator(3), padding: 1);
        var windows = Enumerable.Range(0, 30).Select(_ => crop(image)).ToList();
        Assert.All(windows, w => Assert.Equal([2, 3, 4], w.Shape));
        Assert.Contains(windows, w => w[0, 0, 0].Item<float>() == 0 && w[0, 1, 1].Item<float>() == 0);   // padding seen
        Assert.True(windows.Select(w => string.Join(",", w.ToArray<float>())).Distinct().Count() > 3);
        var both = Transforms.Compose(Transforms.RandomHorizontalFlip(new Generator(0), p: 1), Transforms.Normalize([0,
            0], [2, 2]));
        Assert.Equal([1.5f, 1, 0.5f, 0], both(image)[0, 0].ToArray<float>());
    }

    private static byte[] IdxBytes(byte type, int[] shape, byte[] values)
    {
        var bytes = new byte[4 + 4 * shape.Length + values.Length];
        bytes[2] = type;
        bytes[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), shape[d]);
        values.CopyTo(bytes, 4 + 4 * shape.Length);
        return bytes;
    }

    [Fact]
    public void Idx_files_of_bytes_and_floats_read_with_their_shape()
    {
        string bytesPath = Path.Combine(_folder, "b.idx");
        File.WriteAllBytes(bytesPath, IdxBytes(0x08, [2, 1, 3], [0, 1, 2, 250, 254, 255]));
        var b = Idx.Read(bytesPath);
        Assert.Equal([2, 1, 3], b.Shape);
        Assert.Equal([0L, 1, 2, 250, 254, 255], b.ToArray<long>());
        var floats = new byte[12];
        float[] values = [1.5f, -2.25f, 1e-3f];
        for (int i = 0; i < 3; i++) BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(4 * i), values[i]);
        string floatPath = Path.Combine(_folder, "f.idx");
        File.WriteAllBytes(floatPath, IdxBytes(0x0D, [3], floats));
        Assert.Equal(values, Idx.Read(floatPath).ToArray<float>());
        File.WriteAllBytes(bytesPath, IdxBytes(0x08, [2, 3], [1, 2, 3]));
        Assert.Contains("needs 18", Assert.Throws<InvalidDataException>(() => Idx.Read(bytesPath)).Message);
    }

    [Fact]
    public void Mnist_reads_images_and_labels_from_the_folder_gzipped_or_not()
    {
        var pixels = Enumerable.Range(0, 3 * 2 * 2).Select(i => (byte)(i * 20)).ToArray();
        File.WriteAllBytes(Path.Combine(_folder, "train-images-idx3-ubyte"), IdxBytes(0x08, [3, 2, 2], pixels));
        using (var gz = new GZipStream(File.Create(Path.Combine(_folder, "train-labels-idx1-ubyte.gz")),
            CompressionLevel.Fastest))
            gz.Write(IdxBytes(0x08, [3], [7, 0, 9]));
        var mnist = new Mnist(_folder, transform: Transforms.Normalize([0.5], [0.5]));
        Assert.Equal(3, mnist.Count);
        var (image, label) = mnist[2];
        Assert.Equal(9, label);
        Assert.Equal([1, 2, 2], image.Shape);
        Assert.Equal((8 * 20 / 255f - 0.5f) / 0.5f, image[0, 0, 0].Item<float>(), 1e-6f);
        Assert.Contains("t10k-images-idx3-ubyte", Assert.Throws<FileNotFoundException>(() => new Mnist(_folder,
            train: false)).Message);
    }

    [Fact]
    public void Cifar10_reads_the_binary_batches_in_order_and_refuses_a_broken_one()
    {
        for (int b = 1; b <= 5; b++)
        {
            var records = new byte[2 * 3073];
            for (int r = 0; r < 2; r++)
            {
                records[r * 3073] = (byte)(b + r);
                for (int i = 1; i < 3073; i++) records[r * 3073 + i] = (byte)(i % 256);
            }
            File.WriteAllBytes(Path.Combine(_folder, $"data_batch_{b}.bin"), records);
        }
        var cifar = new Cifar10(_folder);
        Assert.Equal(10, cifar.Count);
        Assert.Equal([1L, 2, 2, 3, 3, 4, 4, 5, 5, 6], Enumerable.Range(0, 10).Select(i => cifar[i].Label));
        var image = cifar[9].Image;
        Assert.Equal([3, 32, 32], image.Shape);
        Assert.Equal(2 / 255f, image[0, 0, 1].Item<float>());   // pixel 1 is the record's byte 2
        Assert.Equal((1024 + 1) % 256 / 255f, image[1, 0, 0].Item<float>());
        Assert.Equal("frog", Cifar10.ClassNames[(int)cifar[9].Label]);
        Assert.Contains("test_batch.bin", Assert.Throws<FileNotFoundException>(() => new Cifar10(_folder,
            train: false)).Message);
        File.WriteAllBytes(Path.Combine(_folder, "data_batch_3.bin"), new byte[100]);
        Assert.Contains("whole number", Assert.Throws<InvalidDataException>(() => new Cifar10(_folder)).Message);
    }
}
