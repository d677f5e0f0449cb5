using System.Globalization;

namespace Backprop;

/// <summary>An axis-aligned rectangle in SVG pixels.</summary>
internal readonly record struct Box(double X, double Y, double Width, double Height)
{
    public bool Overlaps(Box o) => X < o.X + o.Width && o.X < X + Width && Y < o.Y + o.Height && o.Y < Y + Height;
    public bool Contains(double x, double y) => x > X && x < X + Width && y > Y && y < Y + Height;
}

/// <summary>A piece of text at an anchor point, with the box it covers (monospace, so its width is known).</summary>
/// <see cref="Branch"/> is a branch label's place (from 1) in its forked wire's sum, 0 for other text.
internal sealed record SceneText(double X, double Y, string Text, string Class, string Wire, string Anchor, Box Box,
    int Branch = 0);

/// <summary>One straight piece of a drawn wire, horizontal or vertical.</summary>
internal readonly record struct Segment(double X1, double Y1, double X2, double Y2);

/// <summary>A wire's drawn path (SVG path data) and its straight segments, for checking what it crosses.</summary>
internal sealed record ScenePath(string Data, List<Segment> Segments, string Wire);

/// <summary>A drawn gate or input node; a parameter input gets a bold frame.</summary>
internal sealed record SceneNode(Box Box, NodeKind Kind, string Wire, bool IsParameter);

/// <summary>
/// The geometry of a circuit diagram, computed from <see cref="CircuitLayout"/>: each layer is a column with a node
/// zone, then a label zone where every node's outgoing wire runs straight with its value above and gradient below,
/// then a gap where each wire has a vertical lane of its own (<see cref="CircuitLayout.LaneOrder"/>): it runs along
/// its row to its lane, along the lane, and along each target's row into the target. Labels live only in label
/// zones and wires change rows only in gaps, so labels never touch a wire, and no two wires share a segment.
/// </summary>
internal sealed class SvgScene
{
    public const double LabelFont = 12, NodeFont = 13, CharWidth = 0.6; // monospace fonts advance 0.6 em per character
    private const double RowPitch = 50, NodeHeight = 26, Gap = 48, Margin = 16, LineHeight = 18;
    // lanes in a gap are this far apart; a two-input gate's ports sit PortOffset above and below its row, and a wire
    // that must enter a row another wire leaves along from further right comes in ConflictOffset below it
    private const double LanePitch = 10, PortOffset = 7, ConflictOffset = 4;

    public List<SceneText> Texts { get; } = [];
    public List<ScenePath> Paths { get; } = [];
    public List<SceneNode> Nodes { get; } = [];
    public double Width { get; private set; }
    public double Height { get; private set; }

    public static SvgScene Build(CircuitLayout layout, VizOptions options)
    {
        var scene = new SvgScene();
        double top = Margin;
        if (options.Title is not null) scene.AddText(Margin, top + 14, options.Title, "title", "", "start", 14);
        top += options.Title is null ? 0 : LineHeight + 4;
        string legend = layout.Collapsed
            ? $"showing {layout.DrawnGates} of {layout.TotalGates} {layout.Unit}: {layout.CollapseNote}"
            : "";
        if (legend.Length > 0)
        {
            scene.AddText(Margin, top + 12, legend, "note", "", "start", LabelFont); top += LineHeight;
        }

        int layerCount = layout.Layers.Count;
        var nodeWidth = new double[layerCount];
        var labelWidth = new double[layerCount];
        foreach (var layer in layout.Layers)
            foreach (var s in layer.Where(s => s.Node is not null))
            {
                nodeWidth[s.Layer] = Math.Max(nodeWidth[s.Layer], NodeWidth(s.Node!));
                int chars = Math.Max(s.Node!.Wire.Value.Length, s.Node.Wire.Grad.Length);
                labelWidth[s.Layer] = Math.Max(labelWidth[s.Layer], TextWidth(chars, LabelFont) + 12);
            }
        // a zone before each column for the gradients the branches of forked wires carry into its gates
        var branchWidth = layout.Layers.Select(layer => layer.SelectMany(CircuitLayout.BranchLabels)
            .Select(b => TextWidth(b.Length, LabelFont) + 8).DefaultIfEmpty(0).Max()).ToList();
        var columnX = new double[layerCount];
        var stemEnd = new double[layerCount];
        var laneX = new Dictionary<Slot, double>();
        var lanes = layout.Layers.Select(CircuitLayout.LaneOrder).ToList();
        double x = Margin;
        for (int l = 0; l < layerCount; l++)
        {
            columnX[l] = x;
            stemEnd[l] = x + nodeWidth[l] + Math.Max(labelWidth[l], 16);
            double laneZone = Math.Max(Gap, (lanes[l].Count + 1) * LanePitch);
            double first = stemEnd[l] + (laneZone - (lanes[l].Count - 1) * LanePitch) / 2;
            for (int i = 0; i < lanes[l].Count; i++) laneX[lanes[l][i]] = first + i * LanePitch;
            x = stemEnd[l] + laneZone + branchWidth[l];
        }
        double Y(Slot s) => top + s.Row * RowPitch + RowPitch / 2;
        var conflicts = lanes.SelectMany(CircuitLayout.Conflicts).ToHashSet();

        foreach (var layer in layout.Layers)
            foreach (var s in layer)
                scene.AddSlot(s, columnX, nodeWidth, stemEnd, laneX, conflicts, Y);

        var outputName = layout.Output.Wire.Name;
        double outX = stemEnd[^1] + 6, outY = Y(layout.Output.Slot);
        scene.AddText(outX, outY + 4.5, outputName, "name", outputName, "start", NodeFont);
        // each fork's sum under the diagram, where it widens no column (the branches carry their own gradients)
        double bottom = top + layout.Rows * RowPitch;
        var sums = layout.Nodes.Where(n => n.ForkSum is not null).ToList();
        foreach (var fork in sums)
        {
            bottom += LineHeight;
            scene.AddText(Margin, bottom - 4, fork.ForkSum!, "forksum", fork.Wire.Name, "start", LabelFont);
        }
        int widest = sums.Select(n => n.ForkSum!.Length).Append(options.Title?.Length ?? 0).Append(legend.Length).Max();
        scene.Width = Math.Ceiling(Math.Max(outX + TextWidth(outputName.Length, NodeFont),
            Margin + TextWidth(widest, LabelFont)) + Margin);
        scene.Height = Math.Ceiling(bottom + Margin);
        return scene;
    }

    private void AddSlot(Slot s, double[] columnX, double[] nodeWidth, double[] stemEnd, Dictionary<Slot, double> laneX,
        HashSet<(Slot, Slot)> conflicts, Func<Slot, double> y)
    {
        double ys = y(s);
        int l = s.Layer;
        string wire = s.Source.Wire.Name;
        double start = columnX[l];
        if (s.Node is { } node)
        {
            double w = NodeWidth(node);
            if (node.Kind is NodeKind.Input or NodeKind.Stub)
            {
                double right = columnX[l] + nodeWidth[l];
                AddText(right - 4, ys + 4.5, node.Label, node.Kind == NodeKind.Input ? "name" : "stub", wire,
                    "end", NodeFont);
                Nodes.Add(new SceneNode(new Box(right - w, ys - NodeHeight / 2, w, NodeHeight), node.Kind, wire,
                    node.IsParameter));
                start = right;
            }
            else
            {
                double left = columnX[l] + (nodeWidth[l] - w) / 2;
                Nodes.Add(new SceneNode(new Box(left, ys - NodeHeight / 2, w, NodeHeight), node.Kind, wire, false));
                AddText(left + w / 2, ys + 4.5, node.Label, "gate", wire, "middle", NodeFont);
                start = left + w;
            }
            double labelCenter = (columnX[l] + nodeWidth[l] + stemEnd[l]) / 2;
            AddText(labelCenter, ys - 5, node.Wire.Value, "value", wire, "middle", LabelFont);
            AddText(labelCenter, ys + 4 + LabelFont * 0.8, node.Wire.Grad, "grad", wire, "middle", LabelFont);
        }
        var segments = new List<Segment>();
        var data = new System.Text.StringBuilder();
        void Line(double x1, double y1, double x2, double y2)
        {
            if (x1 == x2 && y1 == y2) return;
            segments.Add(new Segment(x1, y1, x2, y2));
            data.Append(y1 == y2 ? $"M{F(x1)} {F(y1)}H{F(x2)}" : $"M{F(x1)} {F(y1)}V{F(y2)}");
        }
        if (s.Feeds.Count == 0)
        {
            Line(start, ys, stemEnd[l], ys);
            Paths.Add(new ScenePath(data.ToString(), segments, wire));
            return;
        }
        double lane = laneX[s];
        Line(start, ys, lane, ys);
        var arrivals = new List<double>();
        foreach (var (target, port) in s.Feeds)
        {
            var (_, side) = CircuitLayout.Arrival((target, port));
            double yt = y(target) + side * PortOffset + (conflicts.Contains((s, target)) ? ConflictOffset : 0);
            double xEnd = columnX[l + 1] + (target.Node is { } t ? (nodeWidth[l + 1] - NodeWidth(t)) / 2 : 0);
            Line(lane, yt, xEnd, yt);
            arrivals.Add(yt);
            // a branch's own gradient just before the gate it enters: above the wire, or below for a second input
            if (CircuitLayout.BranchLabel(s, target, port) is var (branch, index))
            {
                double baseline = side > 0 ? yt + 2 + LabelFont * 0.8 : yt - 4;
                AddText(xEnd - 3, baseline, branch, "branch", wire, "end", LabelFont, index);
            }
        }
        Line(lane, Math.Min(ys, arrivals.Min()), lane, Math.Max(ys, arrivals.Max()));
        Paths.Add(new ScenePath(data.ToString(), segments, wire));
    }

    private void AddText(double x, double baseline, string text, string cls, string wire, string anchor, double font,
        int branch = 0)
    {
        double w = TextWidth(text.Length, font);
        double left = anchor switch { "end" => x - w, "middle" => x - w / 2, _ => x };
        Texts.Add(new SceneText(x, baseline, text, cls, wire, anchor, new Box(left, baseline - 0.8 * font, w, font),
            branch));
    }

    private static double NodeWidth(LayoutNode node) => node.Kind is NodeKind.Input or NodeKind.Stub
        ? TextWidth(node.Label.Length, NodeFont) + 8
        : Math.Max(NodeHeight + 4, TextWidth(node.Label.Length, NodeFont) + 16);

    private static double TextWidth(int chars, double font) => chars * font * CharWidth;

    /// <summary>A coordinate with at most one decimal, culture-invariant.</summary>
    public static string F(double v) => Math.Round(v, 1).ToString("0.#", CultureInfo.InvariantCulture);
}
