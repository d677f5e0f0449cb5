using System.Text.Json;
using System.Xml.Linq;
using Backprop.Interactive;
using Backprop.Tests.Packaging;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.DotNet.Interactive.Formatting;

namespace Backprop.Tests.Interactive;

/// <summary>
/// docs/notebooks/cs231n-backprop.ipynb runs: its C# cells, in order, each a Roslyn script submission continuing the
/// one before (as the notebook's C# kernel runs them, so a later cell may redeclare a variable), and what each cell
/// displays formats as the notebook shows it.
/// </summary>
[Collection("Console")]
public class NotebookTests
{
    private static readonly string NotebookPath = Path.Combine(PackagingTests.RepositoryRoot(), "docs", "notebooks", "cs231n-backprop.ipynb");

    // the notebook loads the package with #r, whose kernel extension registers the formatters; here the test does both
    private static readonly ScriptOptions Kernel = ScriptOptions.Default
        .WithReferences(typeof(Value).Assembly, typeof(BackpropFormatters).Assembly)
        .WithImports("System", "System.Collections.Generic", "System.Linq")
        .WithLanguageVersion(LanguageVersion.Latest);

    private static List<string> CSharpCells()
    {
        using var notebook = JsonDocument.Parse(File.ReadAllText(NotebookPath));
        Assert.Equal(4, notebook.RootElement.GetProperty("nbformat").GetInt32());
        Assert.Equal(".net-csharp", notebook.RootElement.GetProperty("metadata").GetProperty("kernelspec").GetProperty("name").GetString());
        return notebook.RootElement.GetProperty("cells").EnumerateArray()
            .Where(cell => cell.GetProperty("cell_type").GetString() == "code")
            .Select(cell => string.Concat(cell.GetProperty("source").EnumerateArray().Select(line => line.GetString())))
            .Select(source => string.Join("\n", source.Split('\n').Where(line => !line.TrimStart().StartsWith("#r "))))
            .ToList();
    }

    [Fact]
    public async Task Every_cell_runs_and_what_it_displays_is_a_circuit_a_table_or_a_graph()
    {
        BackpropFormatters.Register();
        var cells = CSharpCells();
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        var displayed = new List<object>();
        try
        {
            ScriptState<object>? state = null;
            foreach (var cell in cells)
            {
                state = state is null ? await CSharpScript.RunAsync(cell, Kernel) : await state.ContinueWithAsync(cell, Kernel);
                if (state.ReturnValue is { } shown) displayed.Add(shown);
            }
        }
        finally { Console.SetOut(original); }

        XNamespace svg = "http://www.w3.org/2000/svg";
        foreach (var value in displayed)
        {
            string mimeType = Formatter.GetPreferredMimeTypesFor(value.GetType()).Single();
            string text = value.ToDisplayString(mimeType);
            if (mimeType == BackpropFormatters.SvgMimeType) Assert.Equal(svg + "svg", XDocument.Parse(text).Root!.Name);
            else Assert.NotEmpty(XElement.Parse(text).Elements("table"));
        }
        Assert.Equal(6, displayed.OfType<Value>().Count());
        Assert.Single(displayed.OfType<Tensor>());
        Assert.Single(displayed.OfType<TensorGraph>());

        string printed = output.ToString();
        Assert.Contains("f = -12, df/dx = -3, df/dy = 4", printed);
        Assert.Contains("dq = -4, dx = -4, dy = -4, dz = 3", printed);
        Assert.Equal(2, printed.Split("dx = [0.3932, -0.5898], dw = [-0.1966, -0.3932, 0.1966]").Length - 1);
        Assert.Contains("f = 1.545645, df/dx = 2.059570, df/dy = 1.592233", printed);
        Assert.Contains("public static class StagedCircuit", printed);
        Assert.Contains("max routed its gradient 2 to z", printed);
        Assert.Contains("dW = dD·Xᵀ: True, dX = Wᵀ·dD: True", printed);
    }
}
