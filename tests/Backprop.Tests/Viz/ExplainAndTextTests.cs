namespace Backprop.Tests.Viz;

public class ExplainAndTextTests
{
    [Fact]
    public void Explain_tells_the_notes_patterns_with_their_numbers()
    {
        var lines = Explain.Describe(NotesExamples.Patterns().Output).TrimEnd().Split('\n');
        // backward order: the *2 gate, then add, then max and mul
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("#(4) f = s * 2: scale multiplied its gradient by the constant: ds += 2 × 1 = 2", lines[0]);
        Assert.Equal("#(3) s = xy + m: add distributed its gradient 2 unchanged to xy and m", lines[1]);
        Assert.Equal("#(2) m = max(z, w): max routed its gradient 2 to z, the larger input (2 vs -1); w gets 0", lines[2]);
        Assert.Equal("#(1) xy = x * y: mul scaled its gradient by the other input's value: dx += -4 × 2 = -8, dy += 3 × 2 = 6", lines[3]);
    }

    [Fact]
    public void Explain_adds_up_the_branches_of_each_forked_wire_as_the_notes_do()
    {
        var lines = Explain.Describe(NotesExamples.Staged().Output).TrimEnd().Split('\n');
        Assert.Equal(
            "dx = 1.583 + (-0.03576) + 0.5121 = 2.06: x feeds 3 gate inputs, so its branches' gradients add up (+=)",
            lines[^2]);
        Assert.StartsWith("dy = 1.583 + 0.009046 = 1.592:", lines[^1]);
        var x = new Value(3, "x");
        var square = x * x;
        square.Backward();
        Assert.StartsWith("dx = 3 + 3 = 6: x feeds 2 gate inputs", Explain.Describe(square).TrimEnd().Split('\n')[^1]);
    }

    [Fact]
    public void In_the_text_diagram_no_two_wires_merge_into_one_line()
    {
        // y passes the add gate's row on its way to σ(y), while (x + y) enters that row for ^2: two lanes, two lines
        var lines = Backprop.Viz.Text(NotesExamples.Staged().Output).Split('\n');
        string row = lines.Single(l => l.Contains("^2"));
        Assert.DoesNotContain("┴─┬", row);
        Assert.Matches("└─+┐ └─+\\^2", row);
    }

    [Fact]
    public void In_the_text_diagram_each_branch_carries_its_own_gradient_and_the_sums_follow()
    {
        var text = Backprop.Viz.Text(NotesExamples.Staged().Output);
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.Equal("dx = 1.583 + (-0.03576) + 0.5121 = 2.06", lines[^2]);
        Assert.Equal("dy = 1.583 + 0.009046 = 1.592", lines[^1]);
        // the branch into σ(x) carries -0.03576 just before the gate, on the line above its wire
        int sigma = Array.FindIndex(lines, l => l.Contains("-0.03576") && !l.StartsWith("dx"));
        int end = lines[sigma].IndexOf("-0.03576", StringComparison.Ordinal) + "-0.03576".Length;
        Assert.Equal("─σ", lines[sigma + 1].Substring(end + 1, 2));
        foreach (var branch in new[] { "0.5121", "0.009046" }) Assert.Contains(branch, text);
    }

    [Fact]
    public void Explain_names_a_long_chain_without_recursing_and_falls_back_to_made_up_names_past_32_characters()
    {
        var x = new Value(0.1, "x");
        var wire = x;
        for (int i = 0; i < 20_000; i++) wire = wire.Tanh();
        wire.Backward();
        var lines = Explain.Describe(wire).Split('\n');
        Assert.StartsWith("#(20000) f = tanh(tanh(", lines[0]);
        Assert.StartsWith("#(1) tanh(x): tanh multiplied", lines[^2]);
        // five tanh written out are 31 characters, six are 37: the sixth is named, and defined where it is made
        Assert.Contains(lines,
            l => l.StartsWith("#(6) tanh6 = tanh(tanh(tanh(tanh(tanh(tanh(x)))))): ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("#(7) tanh(tanh6): ", StringComparison.Ordinal));
    }

    [Fact]
    public void Explain_describes_other_gates_by_their_local_gradient()
    {
        var x = new Value(0, "x");
        var f = x.Sigmoid();
        f.Backward();
        Assert.Equal("#(1) f = σ(x): sigmoid multiplied its gradient by its local gradient: dx += 0.25 × 1 = 0.25\n", Explain.Describe(f));
        var tie = Value.Max(new Value(1, "p"), new Value(1, "q"));
        tie.Backward();
        Assert.Contains("split its gradient 1 evenly between p and q", Explain.Describe(tie));
    }

    [Theory]
    [InlineData("staged")]
    [InlineData("neuron")]
    [InlineData("patterns")]
    public void The_text_diagram_writes_each_value_above_its_wire_and_each_gradient_below(string name)
    {
        var circuit = NotesExamples.All().Single(c => c.Name == name);
        var lines = Backprop.Viz.Text(circuit.Output).Split('\n');
        foreach (var wire in circuit.Wires)
        {
            string value = Format.Number(wire.Data, 4), grad = Format.Number(wire.Grad, 4);
            // some line holds the value with a wire (─) right under it and the gradient right under that
            bool found = Enumerable.Range(0, lines.Length - 2).Any(i =>
                Occurrences(lines[i], value).Any(c => c + value.Length / 2 < lines[i + 1].Length && lines[i + 1][c + value.Length / 2] == '─'
                    && lines[i + 2].IndexOf(grad, Math.Max(0, c - grad.Length), StringComparison.Ordinal) is >= 0 and var g && g <= c + value.Length));
            Assert.True(found, $"wire {wire.Label}: value {value} over gradient {grad} not found in\n{string.Join('\n', lines)}");
        }
        foreach (var input in circuit.Inputs) Assert.Contains(lines, l => l.TrimStart().StartsWith(input.Label + "─", StringComparison.Ordinal));
    }

    [Fact]
    public void Ansi_colours_paint_values_green_and_gradients_red()
    {
        string text = Backprop.Viz.Text(NotesExamples.Multiply().Output, ansiColors: true);
        Assert.Contains("\u001b[32m-\u001b[0m\u001b[32m1", text);   // -12 in green
        Assert.Contains("\u001b[31m-\u001b[0m\u001b[31m3", text);   // -3 in red
    }

    private static IEnumerable<int> Occurrences(string line, string s)
    {
        for (int i = line.IndexOf(s, StringComparison.Ordinal); i >= 0; i = line.IndexOf(s, i + 1, StringComparison.Ordinal))
            yield return i;
    }
}
