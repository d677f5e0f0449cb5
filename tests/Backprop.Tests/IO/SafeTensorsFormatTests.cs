using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Backprop.IO;

namespace Backprop.Tests.IO;

public class SafeTensorsFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "python.safetensors");

    // The same tensors tools/safetensors/make_fixture.py writes, from the same formulas.
    private static Dictionary<string, StoredTensor> FixtureTensors()
    {
        var w = Enumerable.Range(0, 12).Select(i => i / 8f - 0.75f).ToArray();
        var b = Enumerable.Range(0, 5).Select(i => -1 + i * 0.5).ToArray();
        var idx = Enumerable.Range(0, 6).Select(i => (long)i * 3 - 7).ToArray();
        return new()
        {
            ["layer.weight"] = new("F32", [3, 4], MemoryMarshal.AsBytes<float>(w).ToArray()),
            ["layer.bias"] = new("F64", [5], MemoryMarshal.AsBytes<double>(b).ToArray()),
            ["indices"] = new("I64", [2, 3], MemoryMarshal.AsBytes<long>(idx).ToArray()),
            ["scalar"] = new("F32", [], BitConverter.GetBytes(3.5f)),
        };
    }

    [Fact]
    public void AFileWrittenByPython_LoadsWithIdenticalValues()
    {
        var (tensors, metadata) = SafeTensorsFormat.Read(FixturePath);
        Assert.Equal("pt", metadata["format"]);
        foreach (var (name, expected) in FixtureTensors())
        {
            Assert.Equal(expected.DType, tensors[name].DType);
            Assert.Equal(expected.Shape, tensors[name].Shape);
            Assert.Equal(expected.Data, tensors[name].Data);
        }
    }

    [Fact]
    public void OurFile_IsByteForByteWhatPythonWrites()
    {
        string path = Path.Combine(_dir, "ours.safetensors");
        SafeTensorsFormat.Write(path, FixtureTensors(), new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(File.ReadAllBytes(FixturePath), File.ReadAllBytes(path));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    private string WriteRaw(string header, int dataBytes, long? declaredLength = null)
    {
        string path = Path.Combine(_dir, "bad.safetensors");
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(declaredLength ?? h.Length));
        h.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "run past the data section")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "belong to no tensor")]
    [InlineData("{\"a\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unknown dtype 'Q7'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes but it has 8")]
    [InlineData("{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8, "too large")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "not a non-negative integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8, "end before they begin")]
    [InlineData("{\"a\":{\"dtype\":\"F32\"}}", 0, "needs a dtype string, a shape array and two data_offsets")]
    [InlineData("{\"a\": [1, 2", 0, "not valid JSON")]
    [InlineData("[1, 2]", 0, "not a JSON object")]
    public void HostileHeaders_AreRefusedWithAReason(string header, int dataBytes, string fragment)
    {
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensorsFormat.Read(WriteRaw(header, dataBytes)));
        Assert.Contains(fragment, ex.Message);
    }

    [Fact]
    public void AHeaderLengthPastTheEnd_OrHuge_OrATruncatedFile_IsRefused()
    {
        Assert.Contains("only 2 follow", Assert.Throws<InvalidDataException>(() => SafeTensorsFormat.Read(WriteRaw("{}", 0, 1000))).Message);
        Assert.Contains("limit", Assert.Throws<InvalidDataException>(() => SafeTensorsFormat.Read(WriteRaw("{}", 0, long.MaxValue))).Message);
        string tiny = Path.Combine(_dir, "tiny.safetensors");
        File.WriteAllBytes(tiny, [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<InvalidDataException>(() => SafeTensorsFormat.Read(tiny)).Message);
    }

    [Fact]
    public void AFailedWrite_LeavesTheExistingFileIntactAndNoTemporaryFile()
    {
        string path = Path.Combine(_dir, "model.safetensors");
        SafeTensorsFormat.Write(path, FixtureTensors());
        var before = File.ReadAllBytes(path);
        var bad = new Dictionary<string, StoredTensor> { ["w"] = new("F32", [3], new byte[8]) };
        Assert.Throws<InvalidDataException>(() => SafeTensorsFormat.Write(path, bad));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_dir));
    }
}
