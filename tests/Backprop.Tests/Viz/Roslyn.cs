using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Backprop.Tests.Viz;

/// <summary>Compiles generated C# in memory and loads it.</summary>
internal static class Roslyn
{
    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray());

    public static Assembly Compile(params string[] sources)
    {
        var compilation = CSharpCompilation.Create("Staged" + Guid.NewGuid().ToString("N"),
            sources.Select(s => CSharpSyntaxTree.ParseText(s)), References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(result.Success, "generated code does not compile:\n" + string.Join("\n", errors) + "\n" + string.Join("\n----\n", sources));
        return Assembly.Load(stream.ToArray());
    }

    /// <summary>Calls the static method <c>Run</c> of <paramref name="type"/> and flattens its tuple result.</summary>
    public static double[] Run(Assembly assembly, string type, params double[] args)
    {
        var method = assembly.GetType(type)!.GetMethod("Run")!;
        object result = method.Invoke(null, args.Cast<object>().ToArray())!;
        return result is double d ? [d] : Flatten((System.Runtime.CompilerServices.ITuple)result).ToArray();
    }

    // tuples of more than seven elements nest the rest in their eighth
    private static IEnumerable<double> Flatten(System.Runtime.CompilerServices.ITuple tuple)
    {
        for (int i = 0; i < tuple.Length; i++)
        {
            if (tuple[i] is System.Runtime.CompilerServices.ITuple rest) foreach (var d in Flatten(rest)) yield return d;
            else yield return (double)tuple[i]!;
        }
    }
}
