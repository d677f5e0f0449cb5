using Backprop.IO;
using Backprop.Nn;

namespace Backprop.Tests.IO;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "python.safetensors");

    // The tensors of tools/safetensors/make_fixture.py, from the same formulas.
    private static Dictionary<string, Tensor> FixtureTensors() => new()
    {
        ["layer.weight"] = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => i / 8f - 0.75f).ToArray(), [3, 4]),
        ["layer.bias"] = Tensor.Linspace(-1, 1, 5, DType.Float64),
        ["indices"] = Tensor.FromArray(Enumerable.Range(0, 6).Select(i => (long)i * 3 - 7).ToArray(), [2, 3]),
        ["scalar"] = Tensor.Scalar(3.5),
    };

    [Fact]
    public void ThePythonFixtureLoadsAsTensorsWithIdenticalValues()
    {
        var loaded = SafeTensors.Load(FixturePath, out var metadata);
        Assert.Equal("pt", metadata["format"]);
        foreach (var (name, expected) in FixtureTensors())
        {
            Assert.Equal(expected.DType, loaded[name].DType);
            Assert.Equal(expected.Shape, loaded[name].Shape);
            Assert.Equal(expected.ToArray<double>(), loaded[name].ToArray<double>());
        }
    }

    [Fact]
    public void SavingTheFixtureTensorsWritesThePythonFileByteForByte()
    {
        string path = Path.Combine(_dir, "ours.safetensors");
        var tensors = FixtureTensors();
        tensors["layer.weight"] = tensors["layer.weight"].T.T;  // a strided view is saved by its values
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(File.ReadAllBytes(FixturePath), File.ReadAllBytes(path));
    }

    [Fact]
    public void AModelRoundTripsThroughItsFile()
    {
        var g = new Generator(4);
        var source = new Sequential(new Linear(3, 5, generator: g), new BatchNorm1d(5), new ReLU(), new Linear(5, 2, dtype: DType.Float64, generator: g));
        source[1].Forward(source[0].Forward(Tensor.Randn([4, 3], generator: g)));  // moves BatchNorm's running statistics
        string path = Path.Combine(_dir, "model.safetensors");
        source.Save(path);
        var target = new Sequential(new Linear(3, 5), new BatchNorm1d(5), new ReLU(), new Linear(5, 2, dtype: DType.Float64));
        target.Load(path);
        foreach (var (name, tensor) in source.StateDict())
        {
            Assert.Equal(tensor.DType, target.StateDict()[name].DType);
            Assert.Equal(tensor.ToArray<double>(), target.StateDict()[name].ToArray<double>());
        }
        Assert.Equal(1L, target.StateDict()["1.num_batches_tracked"].Item<long>());
    }

    [Fact]
    public void UnsupportedDtypesAreRefusedByName()
    {
        string path = Path.Combine(_dir, "i32.safetensors");
        SafeTensorsFormat.Write(path, new Dictionary<string, StoredTensor> { ["counts"] = new("I32", [1], new byte[4]) });
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains("'counts' is I32", error.Message);
    }
}
