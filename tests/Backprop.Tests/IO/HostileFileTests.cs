using System.Buffers.Binary;
using System.Text;
using Backprop.IO;

namespace Backprop.Tests.IO;

/// <summary>safetensors as strict as its specification, and saves that never replace what they should not.</summary>
public sealed class HostileFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-hostile-io-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathIn(string name) => Path.Combine(_dir, name);

    private static byte[] File(byte[] header, int dataBytes)
    {
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static InvalidDataException Refused(byte[] header, int dataBytes) =>
        Assert.Throws<InvalidDataException>(() =>
            SafeTensorsFormat.Read(new MemoryStream(File(header, dataBytes)), "hostile.safetensors"));

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Theory]
    [InlineData("{\"a\xff\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("{\"a\":{\"dtype\":\"F3\xff\",\"shape\":[1],\"data_offsets\":[0,4]}}")]
    public void AnInvalidUtf8Byte_IsRefusedAsInvalidData(string latin1Header)
    {
        var ex = Refused(Encoding.Latin1.GetBytes(latin1Header), 4);
        Assert.Contains("hostile.safetensors: the header is not valid UTF-8", ex.Message);
    }

    [Theory]
    [InlineData("{\"a\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "a key of the header")]
    [InlineData("{\"a\":{\"dtype\":\"F\\ud800\",\"shape\":[1],\"data_offsets\":[0,4]}}", "the dtype of tensor 'a'")]
    [InlineData("{\"__metadata__\":{\"k\":\"\\udc00\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "__metadata__ value 'k'")]
    public void AnEscapedLoneSurrogate_IsRefusedNamingTheField(string header, string field)
    {
        var ex = Refused(Utf8(header), 4);
        Assert.Contains($"hostile.safetensors: {field} holds an escaped lone surrogate", ex.Message);
    }

    [Fact]
    public void ATensorNamedTwice_IsRefused()
    {
        var ex = Refused(Utf8("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," +
                              "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}"), 8);
        Assert.Contains("names 'w' twice", ex.Message);
        ex = Refused(Utf8("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}"), 0);
        Assert.Contains("__metadata__ names 'k' twice", ex.Message);
        ex = Refused(Utf8("{\"__metadata__\":{},\"__metadata__\":{}}"), 0);
        Assert.Contains("names '__metadata__' twice", ex.Message);
    }

    [Fact]
    public void AHugeName_IsClippedInTheMessage()
    {
        string name = new('n', 100_000);
        var ex = Refused(Utf8($"{{\"{name}\":{{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}}}"), 4);
        Assert.Contains("unknown dtype 'Q7'", ex.Message);
        Assert.True(ex.Message.Length < 200, $"{ex.Message.Length} characters");
    }

    [Fact]
    public void SavingATensorNamedMetadata_OrALoneSurrogate_IsRefused()
    {
        string path = PathIn("w.safetensors");
        var ex = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Zeros([1]) }));
        Assert.Contains("cannot be named __metadata__", ex.Message);
        ex = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w\ud800"] = Tensor.Zeros([1]) }));
        Assert.Contains("lone surrogate at index 1", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => SafeTensors.Save(path,
            new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros([1]) },
            new Dictionary<string, string> { ["k"] = "\udc00" }));
        Assert.Contains("metadata value of 'k'", ex.Message);
        Assert.False(System.IO.File.Exists(path));
        // a surrogate pair is text, and survives the round trip
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w\ud83d\ude00"] = Tensor.Zeros([1]) });
        Assert.Equal(["w\ud83d\ude00"], SafeTensors.Load(path).Keys);
    }

    [Fact]
    public void AStreamThatCannotSeek_IsReadWhole()
    {
        string path = PathIn("w.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(new[] { 1f, 2f }, [2]) });
        var (tensors, _) = SafeTensorsFormat.Read(new ForwardOnly(System.IO.File.ReadAllBytes(path)), "pipe");
        Assert.Equal([2L], tensors["w"].Shape);
        Assert.Equal(8, tensors["w"].Data.Length);
    }

    [Fact]
    public void AFailedSave_RemovesItsTemporary_AndKeepsTheOldFile()
    {
        string path = PathIn("out.bin");
        System.IO.File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[1000]);
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal("old", System.IO.File.ReadAllText(path));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void TemporariesOfDeadProcesses_AreRemoved_ThoseOfLiveOnesKept()
    {
        string path = PathIn("w.safetensors");
        string dead = $"{path}.{int.MaxValue}.tmp", live = $"{path}.1.tmp", other = PathIn("x.safetensors.7.tmp");
        foreach (var f in new[] { dead, live, other }) System.IO.File.WriteAllText(f, "half");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros([1]) });
        Assert.False(System.IO.File.Exists(dead));
        Assert.True(System.IO.File.Exists(live));   // pid 1 always runs
        Assert.True(System.IO.File.Exists(other));  // another target's
    }

    [Fact]
    public void AFolderTarget_IsRefused()
    {
        var ex = Assert.Throws<IOException>(() => AtomicFile.Write(_dir, s => s.WriteByte(1)));
        Assert.Contains("it is a folder", ex.Message);
        Assert.Throws<IOException>(() => AtomicFile.CheckWritable(""));
    }

    [Fact]
    public void ADanglingSymlink_IsWrittenThroughToItsTarget()
    {
        string target = PathIn("later.bin"), link = PathIn("link.bin");
        System.IO.File.CreateSymbolicLink(link, target);
        AtomicFile.Write(link, s => s.WriteByte(42));
        Assert.Equal([42], System.IO.File.ReadAllBytes(target));
        Assert.NotNull(new FileInfo(link).LinkTarget);
    }

    private sealed class ForwardOnly(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException("Stream does not support seeking.");
        public override long Position
        {
            get => base.Position;
            set => throw new NotSupportedException("Stream does not support seeking.");
        }
    }
}
