using System.Buffers.Binary;
using System.Text;
using Backprop.Fuzz;
using Backprop.IO;
using CsCheck;

namespace Backprop.Tests.Fuzz;

/// <summary>
/// The fuzz targets of tools/fuzz as tests: every seed and every input a fuzzer found (tools/fuzz/corpus), then random
/// expressions, --at values and header mutations (CsCheck, a few seconds in all) through the same oracles.
/// </summary>
public class FuzzTargetTests
{
    private static readonly string Corpus = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus");

    public static TheoryData<string, string> CorpusFiles()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in FuzzTargets.All.Keys)
            foreach (var file in Directory.GetFiles(Path.Combine(Corpus, target)).Order())
                data.Add(target, Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void EveryCorpusInput_PassesItsTarget(string target, string file) =>
        FuzzTargets.All[target](File.ReadAllBytes(Path.Combine(Corpus, target, file)));

    // hostile pieces that once crashed the command or were slow: folded infinities, deep nesting, odd names
    private static readonly Gen<string> Piece = Gen.OneOf(
        "x", "y", "neg", "1/0", "0/0", "1e400", "log(0)", "2", ".5", "1e-320", "max(x,1e400)", "(1/0)^x", "-", "--",
        "(", ")", ",", "^", "*", "/", "+", " ", "sqrt(-1)", "exp(710)", "é", "\u00a0", "\ud800", "sin(", "min(y,",
        "x^-2");

    private static readonly Gen<string> Expression =
        Gen.Frequency(
            (3, Piece.Array[1, 12].Select(p => string.Concat(p))),
            (1, Gen.Select(Gen.Int[1, 3000], Gen.OneOf("(", "-", "sqrt(", "+"), (n, open) =>
                string.Concat(Enumerable.Repeat(open, n)) + "x" + (open.EndsWith('(') ? new string(')', n) : ""))),
            (1, Gen.String));

    [Fact]
    public void RandomExpressions_EndInExitZeroOneOrTwo() =>
        Expression.Sample(text => FuzzTargets.Expression(Encoding.UTF8.GetBytes(text)), iter: 400);

    [Fact]
    public void RandomBindings_AreFiniteOrOneLineErrors() =>
        Gen.Select(Gen.OneOf("x", "y", "neg", "", " ", "é", "x\n"), Gen.OneOf("=", "==", ""),
                   Gen.OneOf("1", "-4", "1e400", "nan", "Infinity", "0x10", "1,5", "", "1e-400", " 2 "))
           .Array[1, 4]
           .Select(parts => string.Join(",", parts.Select(p => p.Item1 + p.Item2 + p.Item3)))
           .Sample(text => FuzzTargets.Bindings(Encoding.UTF8.GetBytes(text)), iter: 2000);

    // a valid file with its bytes changed, removed, inserted or cut, and its length prefix rewritten
    private static byte[] Mutate(byte[] file, (int Kind, int At, byte Value, int Count) m)
    {
        var bytes = file.ToList();
        int at = m.At % (bytes.Count + 1);
        switch (m.Kind)
        {
            case 0: if (at < bytes.Count) bytes[at] = m.Value; break;
            case 1: bytes.RemoveRange(at, Math.Min(m.Count, bytes.Count - at)); break;
            case 2: bytes.InsertRange(at, Enumerable.Repeat(m.Value, m.Count)); break;
            case 3: bytes.RemoveRange(at, bytes.Count - at); break;
            default:
                var result = bytes.ToArray();
                if (result.Length >= 8) BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)(m.At + m.Count));
                return result;
        }
        return [.. bytes];
    }

    [Fact]
    public void RandomHeaderMutations_AreReadConsistentlyOrRefusedAsInvalidData()
    {
        var seeds = Directory.GetFiles(Path.Combine(Corpus, "safetensors")).Select(File.ReadAllBytes).ToArray();
        var value = Gen.OneOf<byte>(0, 0xff, (byte)'"', (byte)'{', (byte)'\\', (byte)'1', 0x80);
        var mutation = Gen.Select(Gen.Int[0, 4], Gen.Int[0, 600], value, Gen.Int[1, 9]);
        Gen.Select(Gen.Int[0, seeds.Length - 1], mutation.Array[1, 4]).Sample((seed, mutations) =>
        {
            var file = mutations.Aggregate(seeds[seed], Mutate);
            FuzzTargets.SafeTensors(file);
        }, iter: 3000);
    }
}
