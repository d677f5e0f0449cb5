using System.Diagnostics;

namespace Backprop.Tests.Viz;

public class DotTests
{
    [SkippableFact]
    public void Graphviz_accepts_every_dot_file_we_emit()
    {
        Skip.IfNot(DotIsInstalled(), "Graphviz 'dot' is not installed (apt-get install graphviz), so DOT output is not checked");
        var circuits = NotesExamples.All().Select(c => (c.Name, c.Output, c.Formula)).ToList();
        var (big, _) = Expression.Parse("max(x, 2) - x / y^3 + sigmoid(-x)").Build(new Dictionary<string, double> { ["x"] = 1, ["y"] = 2 });
        big.Backward();
        circuits.Add(("expression", big, "with \"quotes\" and <angles>"));
        foreach (var (name, output, title) in circuits)
        {
            string dot = Backprop.Viz.Dot(output, new VizOptions { Title = title });
            var (code, svg, errors) = RunDot(dot);
            Assert.True(code == 0, $"dot rejected the {name} circuit: {errors}\n{dot}");
            var texts = System.Xml.Linq.XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToHashSet();
            // every wire's gradient is drawn: on its edge, or for a forked wire as the sum of its branches
            foreach (var grad in output.Topological().Select(w => Format.Number(w.Grad, 4)))
                Assert.Contains(texts, t => t == grad || t.EndsWith(" = " + grad, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Dot_labels_each_edge_with_value_over_gradient()
    {
        var circuit = NotesExamples.AddThenMultiply();
        string dot = Backprop.Viz.Dot(circuit.Output);
        Assert.Contains("rankdir=LR", dot);
        // q = 3 with gradient -4 runs from the add gate to the mul gate
        Assert.Contains("<font color=\"#1a7f37\">3</font><br/><font color=\"#c62828\">-4</font>", dot);
        Assert.Equal(circuit.Wires.Count, dot.Split('\n').Count(l => l.Contains("->")));
    }

    [Fact]
    public void Each_branch_of_a_fork_carries_its_own_gradient_and_the_input_shows_their_sum()
    {
        string dot = Backprop.Viz.Dot(NotesExamples.Staged().Output);
        var ids = System.Text.RegularExpressions.Regex.Matches(dot, @"(n\d+) \[label=""x"",");
        string x = Assert.Single(ids).Groups[1].Value;
        var branches = dot.Split('\n').Where(l => l.StartsWith($"  {x} -> ", StringComparison.Ordinal))
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, "#c62828\">([^<]+)<").Groups[1].Value).Order();
        Assert.Equal(["-0.03576", "0.5121", "1.583"], branches);
        string sum = "dx = 1.583 + (-0.03576) + 0.5121 = 2.06";
        Assert.Contains($"  {x} [xlabel=<<font color=\"#c62828\">{sum}</font>>];", dot);
    }

    internal static bool DotIsInstalled()
    {
        try { return RunDot("digraph { a -> b }").code == 0; }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    internal static (int code, string stdout, string stderr) RunDot(string input)
    {
        var start = new ProcessStartInfo("dot", "-Tsvg") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
