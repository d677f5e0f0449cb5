using System.Text;

namespace Backprop;

/// <summary>
/// Draws a circuit layout with box-drawing characters: the same layers as the SVG, each row four lines tall
/// (value, wire, gradient, space). A two-input gate takes its first input on the line above its symbol and its
/// second on the line below; each wire crossing a gap between layers gets its own vertical lane. Where a wire forks,
/// each branch carries its own gradient just before the gate it enters, and the sums follow the diagram.
/// </summary>
internal static class TextDiagram
{
    private const int Left = 1, Right = 2, Up = 4, Down = 8, LinesPerRow = 4;
    private const string Green = "\u001b[32m", Red = "\u001b[31m", Reset = "\u001b[0m";

    public static string Write(CircuitLayout layout, VizOptions options, bool ansiColors)
    {
        int layers = layout.Layers.Count;
        var port = new int[layers];       // the column where input wires join a gate
        var nodeWidth = new int[layers];
        var stemStart = new int[layers];  // where the label zone begins
        var stemEnd = new int[layers];    // one past the label zone
        int x = 0;
        for (int l = 0; l < layers; l++)
        {
            var nodes = layout.Layers[l].Where(s => s.Node is not null).Select(s => s.Node!).ToList();
            nodeWidth[l] = nodes.Select(n => n.Label.Length).DefaultIfEmpty(1).Max();
            int labels = nodes.Select(n => Math.Max(n.Wire.Value.Length, n.Wire.Grad.Length)).DefaultIfEmpty(1).Max();
            port[l] = x;
            stemStart[l] = x + 1 + nodeWidth[l] + 1;
            stemEnd[l] = stemStart[l] + labels + 2;
            int lanes = layout.Layers[l].Count(s => s.Feeds.Count > 0);
            // the gradients forked wires' branches carry into the next gates, right-aligned before them
            int branches = layout.Layers[l].SelectMany(CircuitLayout.BranchLabels).Select(b => b.Length + 1)
                .DefaultIfEmpty(0).Max();
            x = stemEnd[l] + 2 * lanes + 1 + branches;
        }
        string outputName = layout.Output.Wire.Name;
        var grid = new Grid(layout.Rows * LinesPerRow, stemEnd[^1] + 1 + outputName.Length);

        for (int l = 0; l < layers; l++)
        {
            foreach (var s in layout.Layers[l])
            {
                int wireLine = s.Row * LinesPerRow + 1;
                int start = port[l];
                if (s.Node is { } node)
                {
                    if (node.Kind is NodeKind.Input or NodeKind.Stub)
                    {
                        start = port[l] + 1 + nodeWidth[l];
                        grid.Text(wireLine, start - node.Label.Length, node.Label, null);
                    }
                    else
                    {
                        if (node.Inputs.Count == 2) grid.VLine(port[l], wireLine - 1, wireLine + 1);
                        grid.HLine(wireLine, port[l], port[l] + 1);
                        grid.Text(wireLine, port[l] + 1, node.Label, null);
                        start = port[l] + 1 + node.Label.Length;
                    }
                    string value = node.Wire.Value, grad = node.Wire.Grad;
                    int zone = stemEnd[l] - stemStart[l];
                    grid.Text(wireLine - 1, stemStart[l] + (zone - value.Length) / 2, value, ansiColors ? Green : null);
                    grid.Text(wireLine + 1, stemStart[l] + (zone - grad.Length) / 2, grad, ansiColors ? Red : null);
                }
                grid.HLine(wireLine, start, stemEnd[l] - 1);
            }
            Route(layout.Layers[l], grid, stemEnd[l], l + 1 < layers ? port[l + 1] : 0, ansiColors);
        }
        int outLine = layout.Output.Slot.Row * LinesPerRow + 1;
        grid.Text(outLine, stemEnd[^1] + 1, outputName, null);

        var text = new StringBuilder();
        if (options.Title is not null) text.Append(options.Title).Append('\n');
        if (layout.Collapsed)
            text.Append($"showing {layout.DrawnGates} of {layout.TotalGates} {layout.Unit} ({layout.CollapseNote})\n");
        text.Append(grid.Render());
        // the sums under the diagram, where they widen no column: a fork's branches carry their own gradients above
        foreach (var fork in layout.Nodes.Where(n => n.ForkSum is not null)) text.Append(fork.ForkSum).Append('\n');
        return text.ToString();
    }

    // Each slot that feeds the next layer runs right to its own lane, down or up it, and right into each target, the
    // lanes in the order that keeps a wire leaving along a row off the segment of a wire entering it.
    // A branch of a forked wire gets its own gradient just before the gate it enters: on the line above, or below for
    // a second input.
    private static void Route(List<Slot> layer, Grid grid, int gapStart, int nextPort, bool ansiColors)
    {
        var feeding = CircuitLayout.LaneOrder(layer);
        for (int i = 0; i < feeding.Count; i++)
        {
            var s = feeding[i];
            int lane = gapStart + 1 + 2 * i, line = s.Row * LinesPerRow + 1;
            grid.HLine(line, gapStart - 1, lane);
            foreach (var f in s.Feeds)
            {
                int target = TargetLine(f);
                grid.VLine(lane, Math.Min(line, target), Math.Max(line, target));
                grid.HLine(target, lane, nextPort);
                if (CircuitLayout.BranchLabel(s, f.Target, f.Port) is var (branch, _))
                {
                    int side = CircuitLayout.Arrival(f).Port;
                    grid.Text(side > 0 ? target + 1 : target - 1, nextPort - 1 - branch.Length, branch,
                        ansiColors ? Red : null);
                }
            }
        }
    }

    private static int TargetLine((Slot Target, int Port) feed)
    {
        var (row, port) = CircuitLayout.Arrival(feed);
        return row * LinesPerRow + 1 + port;
    }

    /// <summary>A character grid where lines are drawn as connection bits, turned into box-drawing characters at the
    /// end.</summary>
    private sealed class Grid(int lines, int columns)
    {
        private readonly int[,] _links = new int[lines, columns];
        private readonly Dictionary<(int, int), (char c, string? color)> _text = [];
        private int _width = columns;

        public void HLine(int line, int x1, int x2)
        {
            for (int x = x1; x < x2; x++) { Link(line, x, Right); Link(line, x + 1, Left); }
        }

        public void VLine(int x, int y1, int y2)
        {
            for (int y = y1; y < y2; y++) { Link(y, x, Down); Link(y + 1, x, Up); }
        }

        public void Text(int line, int x, string s, string? color)
        {
            for (int i = 0; i < s.Length; i++) _text[(line, x + i)] = (s[i], color);
            _width = Math.Max(_width, x + s.Length);
        }

        private void Link(int line, int x, int bit)
        {
            if (line >= 0 && line < _links.GetLength(0) && x >= 0 && x < _links.GetLength(1)) _links[line, x] |= bit;
        }

        public string Render()
        {
            var text = new StringBuilder();
            for (int y = 0; y < _links.GetLength(0); y++)
            {
                var line = new StringBuilder();
                for (int x = 0; x < _width; x++)
                {
                    if (_text.TryGetValue((y, x), out var t))
                        line.Append(t.color is null ? t.c.ToString() : t.color + t.c + Reset);
                    else line.Append(x < _links.GetLength(1) ? Box(_links[y, x]) : ' ');
                }
                string row = line.ToString().TrimEnd();
                if (row.Length > 0 || y % LinesPerRow != LinesPerRow - 1) text.Append(row).Append('\n');
            }
            return text.ToString();
        }

        private static char Box(int links) => links switch
        {
            0 => ' ',
            Left or Right or (Left | Right) => '─',
            Up or Down or (Up | Down) => '│',
            Right | Down => '┌', Left | Down => '┐', Right | Up => '└', Left | Up => '┘',
            Up | Down | Right => '├', Up | Down | Left => '┤',
            Left | Right | Down => '┬', Left | Right | Up => '┴',
            _ => '┼',
        };
    }
}
