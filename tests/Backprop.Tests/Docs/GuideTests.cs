using System.Reflection;
using System.Text.RegularExpressions;
using Backprop.Tests.Packaging;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Backprop.Tests.Docs;

[CollectionDefinition("Console", DisableParallelization = true)]
public class ConsoleCollection;

/// <summary>Every C# block of docs/guide.md compiles, runs, and prints the text block that follows it.</summary>
[Collection("Console")]
public partial class GuideTests
{
    [GeneratedRegex(@"```csharp\n(?<code>.*?)```\n```text\n(?<output>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Example();

    public static TheoryData<int, string, string> Examples()
    {
        var data = new TheoryData<int, string, string>();
        string guide = File.ReadAllText(Path.Combine(PackagingTests.RepositoryRoot(), "docs", "guide.md")).Replace("\r\n", "\n");
        int i = 0;
        foreach (Match m in Example().Matches(guide)) data.Add(++i, m.Groups["code"].Value, m.Groups["output"].Value);
        return data;
    }

    private static readonly CSharpParseOptions Latest = new(LanguageVersion.Latest);

    // what a new console project's ImplicitUsings gives its code
    private static readonly SyntaxTree ImplicitUsings = CSharpSyntaxTree.ParseText(
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq;", Latest);

    [Fact]
    public void TheGuideHasExamples() => Assert.True(Examples().Count >= 8);

    [Theory]
    [MemberData(nameof(Examples))]
    public void GuideExample_PrintsWhatTheGuideSays(int number, string code, string expected)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create($"GuideExample{number}",
            [CSharpSyntaxTree.ParseText(code, Latest), ImplicitUsings], references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, $"example {number} does not compile:\n" +
            string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));

        var entry = Assembly.Load(image.ToArray()).EntryPoint!;
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try { entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [Array.Empty<string>()]); }
        finally { Console.SetOut(original); }
        Assert.Equal(expected, output.ToString().Replace("\r\n", "\n"));
    }
}
