using System.Text.Json;

namespace Backprop.Tests.Tensors;

/// <summary>A table of ops, each checked against the case of its name in a golden file written with PyTorch.</summary>
public interface IGoldenOps
{
    /// <summary>The golden file under Golden/.</summary>
    static abstract string File { get; }

    /// <summary>Each case's op, from the case's inputs.</summary>
    static abstract IReadOnlyDictionary<string, Func<Tensor[], Tensor>> Ops { get; }

    /// <summary>Cases that Float32 cannot reproduce, checked in Float64 only.</summary>
    static virtual IReadOnlySet<string> Float64Only => new HashSet<string>();
}

/// <summary>
/// Every op of <typeparamref name="TOps"/>'s table against its golden case: the output and the gradient of every input,
/// in Float64 to 1e-10 and in Float32 to 1e-5; and a case for every op, an op for every case.
/// </summary>
public abstract class GoldenOpTests<TOps> where TOps : IGoldenOps
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => GoldenTests.Load(TOps.File));

    public static TheoryData<string> Names => new(TOps.Ops.Keys);

    public static TheoryData<string> Float32Names => new(TOps.Ops.Keys.Where(n => !TOps.Float64Only.Contains(n)));

    [Fact]
    public void Every_golden_case_has_an_op() => Assert.Equal(Cases.Value.Keys.Order(), TOps.Ops.Keys.Order());

    [Theory]
    [MemberData(nameof(Names))]
    public void Float64_matches_PyTorch_to_1e_10(string name) =>
        GoldenTests.Compare(name, Cases.Value[name], TOps.Ops[name], DType.Float64, 1e-10);

    [Theory]
    [MemberData(nameof(Float32Names))]
    public void Float32_matches_PyTorch_to_1e_5(string name) =>
        GoldenTests.Compare(name, Cases.Value[name], TOps.Ops[name], DType.Float32, 1e-5);
}
