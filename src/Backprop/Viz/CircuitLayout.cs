namespace Backprop;

/// <summary>What a node of a drawn circuit stands for.</summary>
internal enum NodeKind
{
    /// <summary>An input wire (a leaf), drawn as its name on the left.</summary>
    Input,
    /// <summary>One gate.</summary>
    Gate,
    /// <summary>A chain of single-input gates drawn as one node (collapsed circuits only).</summary>
    Chain,
    /// <summary>A wire made by gates that are not drawn (collapsed circuits only), drawn like an input.</summary>
    Stub,
}

/// <summary>What is written about one wire: its name, and the text above (value) and below (gradient) it.</summary>
internal sealed record WireText(string Name, string Value, string Grad);

/// <summary>A node of the drawn circuit: an input, a gate, or (when collapsed) a chain of gates or a cut
/// wire.</summary>
internal sealed class LayoutNode(NodeKind kind, WireText wire, string label)
{
    public NodeKind Kind { get; set; } = kind;

    /// <summary>The wire this node puts out (for a chain, the last gate's output).</summary>
    public WireText Wire { get; set; } = wire;

    /// <summary>True for an input that is a trained parameter (tensor graphs), drawn with a bold frame.</summary>
    public bool IsParameter { get; init; }

    /// <summary>The text drawn on the node: an input's name, or the gate's symbol (as in <c>*</c>, <c>σ</c>,
    /// <c>+1</c>).</summary>
    public string Label { get; set; } = label;

    /// <summary>The scalar gates this node draws, first to last (one for a gate, several for a chain; none for inputs
    /// or tensor ops).</summary>
    public List<Value> Gates { get; } = [];

    /// <summary>The nodes feeding this one, one per input port.</summary>
    public List<LayoutNode> Inputs { get; } = [];

    /// <summary>
    /// Per input port, the gradient this gate sends back along that wire, its local gradient times its upstream
    /// gradient (scalar circuits; empty for tensor graphs): a forked wire's gradient is the sum of its branches'.
    /// </summary>
    public List<string> BranchGrads { get; } = [];

    /// <summary>Per input port of a forked wire, the branch's place (from 1) in the wire's sum, in backward order;
    /// 0 for a wire that does not fork.</summary>
    public List<int> BranchIndex { get; } = [];

    /// <summary>For a wire that forks, its branches' gradients adding up to its own (<see cref="Backprop.ForkSum"/>);
    /// null for a wire with one branch.</summary>
    public string? ForkSum { get; set; }

    /// <summary>The slots in the previous layer that feed each input port.</summary>
    public List<Slot> InputSlots { get; } = [];

    public int Layer { get; set; }

    public Slot Slot { get; set; } = null!;
}

/// <summary>A place in a layer: a node, or a wire passing through the layer on its way to a later gate.</summary>
internal sealed class Slot(LayoutNode source, LayoutNode? node, int layer)
{
    /// <summary>The node whose output wire this slot carries.</summary>
    public LayoutNode Source { get; } = source;

    /// <summary>The node drawn here, or null where the wire only passes through.</summary>
    public LayoutNode? Node { get; } = node;

    public int Layer { get; } = layer;

    /// <summary>The vertical position, in rows (integers, at least one apart within a layer).</summary>
    public int Row { get; set; }

    /// <summary>The slot before this one on a passing wire (null for a node).</summary>
    public Slot? Previous { get; init; }

    /// <summary>The slots in the next layer this one feeds, with the input port (0 for a passing wire).</summary>
    public List<(Slot Target, int Port)> Feeds { get; } = [];

    internal double Order; // sort key while ordering a layer
}

/// <summary>
/// The layered left-to-right layout every renderer shares: inputs in layer 0, the output last, each gate in the
/// last layer before its first consumer; a wire that skips layers passes through each one in a slot of its own, so no
/// wire crosses a node and the labels on a node's outgoing wire have its row to themselves.
/// </summary>
internal sealed class CircuitLayout
{
    public required LayoutNode Output { get; init; }
    public required List<LayoutNode> Nodes { get; init; }
    public required List<List<Slot>> Layers { get; init; }

    /// <summary>How many gates the whole circuit has, and how many of them the drawing shows.</summary>
    public int TotalGates { get; init; }
    public int DrawnGates { get; init; }
    public bool Collapsed => TotalGates != DrawnGates || Nodes.Any(n => n.Kind == NodeKind.Chain);

    /// <summary>What the drawing counts ("gates" for scalar circuits, "ops" for tensor graphs).</summary>
    public string Unit { get; init; } = "gates";

    /// <summary>How a collapsed drawing was collapsed, written after "showing N of M gates".</summary>
    public string CollapseNote { get; init; } = "chains of one-input gates drawn as one node, ⋯ marks wires from " +
        "gates not drawn";

    public int Rows => Layers.Max(l => l.Count == 0 ? 0 : l[^1].Row + 1);

    /// <summary>Where a feed enters its target: the row, and -1 or +1 for a two-input gate's first or second.</summary>
    public static (int Row, int Port) Arrival((Slot Target, int Port) feed) =>
        (feed.Target.Row, feed.Target.Node is { Inputs.Count: 2 } ? (feed.Port == 0 ? -1 : 1) : 0);

    /// <summary>
    /// The slots of a layer that feed the next one, in the order of their vertical lanes across the gap, left to
    /// right. Each wire leaves along its own row to its lane and enters each target from it, so a wire that enters
    /// row r must have its lane right of the lane of the wire leaving along row r, or the two would share a segment
    /// of that row: the order sorts these constraints (rows break ties), and where two wires would each have to be
    /// right of the other, the one entering keeps its row and the renderer offsets it (<see cref="Conflicts"/>).
    /// </summary>
    public static List<Slot> LaneOrder(List<Slot> layer)
    {
        var feeding = layer.Where(s => s.Feeds.Count > 0).OrderBy(s => s.Row).ToList();
        var leavingOn = feeding.ToDictionary(s => s.Row);
        // before[o] = the slots whose lane must be left of o's: those leaving along a row o enters
        var before = feeding.ToDictionary(o => o, o => o.Feeds.Select(Arrival)
            .Where(a => a.Port == 0 && leavingOn.TryGetValue(a.Row, out var s) && s != o)
            .Select(a => leavingOn[a.Row]).Distinct().ToList());
        var order = new List<Slot>();
        var placed = new HashSet<Slot>();
        while (order.Count < feeding.Count)
        {
            // the first slot (by row) whose constraints are met, else (a cycle) the first left
            var next = feeding.FirstOrDefault(s => !placed.Contains(s) && before[s].All(placed.Contains))
                ?? feeding.First(s => !placed.Contains(s));
            order.Add(next);
            placed.Add(next);
        }
        return order;
    }

    /// <summary>
    /// The feeds of <paramref name="lanes"/> (a <see cref="LaneOrder"/>) that enter a row another wire leaves along
    /// from a lane further right: where a cycle of constraints left no order, these would share a segment of the row.
    /// </summary>
    public static HashSet<(Slot Source, Slot Target)> Conflicts(List<Slot> lanes)
    {
        var lane = lanes.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i);
        var leavingOn = lanes.ToDictionary(s => s.Row);
        var conflicts = new HashSet<(Slot, Slot)>();
        foreach (var o in lanes)
            foreach (var f in o.Feeds)
                if (Arrival(f) is (int row, 0) && leavingOn.TryGetValue(row, out var s) && s != o && lane[s] > lane[o])
                    conflicts.Add((o, f.Target));
        return conflicts;
    }

    /// <summary>
    /// The gradient a forked wire's branch carries into a gate's input port, and its place (from 1) in the wire's
    /// sum; null for other feeds.
    /// </summary>
    public static (string Text, int Index)? BranchLabel(Slot source, Slot target, int port) =>
        source.Source.ForkSum is not null && target.Node is { } gate && port < gate.BranchGrads.Count
            ? (gate.BranchGrads[port], gate.BranchIndex[port])
            : null;

    /// <summary>The branch gradients a slot carries into the next layer's gates.</summary>
    public static IEnumerable<string> BranchLabels(Slot s) =>
        s.Feeds.Select(f => BranchLabel(s, f.Target, f.Port)?.Text).OfType<string>();

    public static CircuitLayout Build(Value output, VizOptions options)
    {
        ArgumentNullException.ThrowIfNull(output);
        options.Validate();
        var order = output.Topological();
        var names = new WireNames(order);
        int totalGates = order.Count(v => !v.IsLeaf);
        bool collapse = totalGates > options.CollapseAbove;

        var uses = new Dictionary<Value, int>(ReferenceEqualityComparer.Instance);
        foreach (var v in order) foreach (var i in v.Inputs) uses[i] = uses.GetValueOrDefault(i) + 1;
        WireText Text(Value v) =>
            new(names[v], Format.Number(v.Data, options.Digits), Format.Number(v.Grad, options.Digits));
        var nodeOf = new Dictionary<Value, LayoutNode>(ReferenceEqualityComparer.Instance);
        var nodes = new List<LayoutNode>();
        foreach (var v in order)
        {
            if (v.IsLeaf) { nodes.Add(nodeOf[v] = new LayoutNode(NodeKind.Input, Text(v), names[v])); continue; }
            var first = v.Inputs[0];
            // collapse rule 1: a single-input gate whose input comes only from another single-input
            // gate joins its chain
            if (collapse && v.Op!.Arity == 1 && first.Op is { Arity: 1 } && uses[first] == 1
                && !ReferenceEquals(first, output))
            {
                var chain = nodeOf[first];
                chain.Kind = NodeKind.Chain;
                chain.Gates.Add(v);
                nodeOf[v] = chain;
                continue;
            }
            var node = new LayoutNode(NodeKind.Gate, Text(v), v.Op!.Describe(v.Constant));
            node.Gates.Add(v);
            node.Inputs.AddRange(v.Inputs.Select(i => nodeOf[i]));
            double second = v.Inputs.Count > 1 ? v.Inputs[1].Data : 0;
            var (la, lb) = v.Op.LocalGradient(first.Data, second, v.Constant, v.Data);
            node.BranchGrads.AddRange(new[] { la, lb }.Take(v.Inputs.Count)
                .Select(local => Format.Number(local * v.Grad, options.Digits)));
            nodes.Add(nodeOf[v] = node);
        }
        // a chain's label is made once it is whole: remade at each gate, a long chain would cost its length squared
        foreach (var chain in nodes.Where(n => n.Kind == NodeKind.Chain))
        {
            chain.Label = ChainLabel(chain.Gates);
            chain.Wire = Text(chain.Gates[^1]);
        }
        // from every gate, drawn or not, so a fork's sum adds up to its wire's gradient
        // named as --explain names them, d(x + y); made only where something forks, as a huge chain does not
        WrittenNames? written = null;
        foreach (var (wire, branches) in ForkSum.Branches(order, v => uses[v] > 1, _ => "", _ => ""))
        {
            written ??= new WrittenNames(order);
            nodeOf[wire].ForkSum = ForkSum.Text(written.Operand(wire, power: true), branches.Select(b => b.Value),
                wire.Grad, options.Digits);
        }
        // each forked branch's place in its wire's sum, which the interactive page recomputes
        var added = new Dictionary<Value, int>(ReferenceEqualityComparer.Instance);
        for (int k = order.Count - 1; k >= 0; k--)
            if (order[k] is { IsLeaf: false } gate && ReferenceEquals(nodeOf[gate].Gates[0], gate))
                for (int p = 0; p < gate.Inputs.Count; p++)
                    nodeOf[gate].BranchIndex.Add(uses[gate.Inputs[p]] > 1
                        ? added[gate.Inputs[p]] = added.GetValueOrDefault(gate.Inputs[p]) + 1
                        : 0);
        var outputNode = nodeOf[output];
        if (collapse) nodes = KeepNearestOutput(nodes, outputNode, options.CollapseAbove);

        var layers = Arrange(nodes, outputNode);
        return new CircuitLayout
        {
            Output = outputNode, Nodes = nodes, Layers = layers, TotalGates = totalGates,
            DrawnGates = nodes.Sum(n => n.Gates.Count),
        };
    }

    private static string ChainLabel(List<Value> gates)
    {
        string all = string.Join("·", gates.Take(17).Select(g => g.Op!.Describe(g.Constant)));
        return all.Length <= 16 && gates.Count <= 16 ? all
            : $"{gates[0].Op!.Describe(gates[0].Constant)}…" +
                $"{gates[^1].Op!.Describe(gates[^1].Constant)} ×{gates.Count}";
    }

    // Collapse rule 2: breadth-first from the output, keep at most `limit` gate nodes; a wire from a gate beyond
    // that is drawn as a stub input named after the wire, so every drawn gate still shows all its input wires.
    internal static List<LayoutNode> KeepNearestOutput(List<LayoutNode> nodes, LayoutNode output, int limit)
    {
        var kept = new HashSet<LayoutNode> { output };
        var stubs = new Dictionary<LayoutNode, LayoutNode>();
        var queue = new Queue<LayoutNode>([output]);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            for (int p = 0; p < node.Inputs.Count; p++)
            {
                var input = node.Inputs[p];
                if (kept.Contains(input)) continue;
                if (input.Kind == NodeKind.Input || kept.Count < limit)
                {
                    kept.Add(input);
                    queue.Enqueue(input);
                    continue;
                }
                if (!stubs.TryGetValue(input, out var stub))
                    stubs[input] = stub = new LayoutNode(NodeKind.Stub, input.Wire, "⋯" + input.Wire.Name);
                node.Inputs[p] = stub;
            }
        }
        return nodes.Select(n => kept.Contains(n) ? n : stubs.GetValueOrDefault(n)).OfType<LayoutNode>().ToList();
    }

    /// <summary>
    /// Places nodes in layers and wires in slots. Inputs stay in layer 0 (as the notes draw circuits) unless
    /// <paramref name="inputsNearUse"/>, which moves each just before its first gate (a layer's parameters beside it).
    /// </summary>
    internal static List<List<Slot>> Arrange(List<LayoutNode> nodes, LayoutNode output, bool inputsNearUse = false)
    {
        var consumers = nodes.ToDictionary(n => n, _ => new List<(LayoutNode node, int port)>());
        foreach (var n in nodes)
        {
            n.Layer = n.Inputs.Count == 0 ? 0 : 1 + n.Inputs.Max(i => i.Layer);
            for (int p = 0; p < n.Inputs.Count; p++) consumers[n.Inputs[p]].Add((n, p));
        }
        // each gate then moves as far right as its consumers allow, so a side chain that runs ahead of the main path
        // (a recurrent state updated by one gate a step while the other takes four) does not trail
        // wires across the page
        for (int i = nodes.Count - 1; i >= 0; i--)
            if ((nodes[i].Inputs.Count > 0 || inputsNearUse) && consumers[nodes[i]].Count > 0)
                nodes[i].Layer = consumers[nodes[i]].Min(c => c.node.Layer) - 1;
        var layers = Enumerable.Range(0, output.Layer + 1).Select(_ => new List<Slot>()).ToList();
        foreach (var n in nodes)
        {
            n.Slot = new Slot(n, n, n.Layer);
            n.InputSlots.AddRange(new Slot[n.Inputs.Count]);
            layers[n.Layer].Add(n.Slot);
        }
        foreach (var n in nodes)
        {
            var uses = consumers[n];
            if (uses.Count == 0) continue;
            // the wire passes through every layer between its node and its last gate, one slot per layer
            var along = new List<Slot> { n.Slot };
            int last = uses.Max(u => u.node.Layer);
            for (int layer = n.Layer + 1; layer < last; layer++)
            {
                var pass = new Slot(n, null, layer) { Previous = along[^1] };
                along[^1].Feeds.Add((pass, 0));
                layers[layer].Add(pass);
                along.Add(pass);
            }
            foreach (var (user, port) in uses)
            {
                var from = along[user.Layer - 1 - n.Layer];
                from.Feeds.Add((user.Slot, port));
                user.InputSlots[port] = from;
            }
        }
        Order(layers);
        return layers;
    }

    // Barycentre ordering: sweep right, then left, then right again, sorting each layer by the mean row of the slots
    // it connects to; then rows are placed at that mean where there is room (straight wires), one row apart at least.
    private static void Order(List<List<Slot>> layers)
    {
        for (int i = 0; i < layers[0].Count; i++) layers[0][i].Row = i;
        for (int sweep = 0; sweep < 3; sweep++)
        {
            bool rightward = sweep % 2 == 0;
            for (int k = 1; k < layers.Count; k++)
            {
                var layer = layers[rightward ? k : layers.Count - 1 - k];
                foreach (var s in layer)
                {
                    // leftward, a wire into a gate's first port counts as slightly above the gate, into its
                    // second as below
                    s.Order = rightward
                        ? Predecessors(s).Select(t => (double)t.Row).DefaultIfEmpty(s.Row).Average()
                        : s.Feeds.Select(f =>
                            f.Target.Row + (f.Target.Node is { Inputs.Count: 2 } ? f.Port - 0.5 : 0) * 0.5)
                            .DefaultIfEmpty(s.Row).Average();
                }
                var sorted = layer.OrderBy(s => s.Order).ThenBy(s => s.Row).ToList();
                layer.Clear();
                layer.AddRange(sorted);
                for (int i = 0; i < layer.Count; i++) layer[i].Row = i;
            }
        }
        for (int k = 1; k < layers.Count; k++)
        {
            int previous = -1;
            foreach (var s in layers[k])
            {
                int wanted = (int)Math.Round(Predecessors(s).Select(t => (double)t.Row).DefaultIfEmpty(0).Average());
                s.Row = previous = Math.Max(wanted, previous + 1);
            }
        }
    }

    private static IEnumerable<Slot> Predecessors(Slot s) => s.Previous is not null ? [s.Previous] : s.Node!.InputSlots;
}
