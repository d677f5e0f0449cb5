namespace Backprop;

/// <summary>
/// Turns a tensor's autograd graph into the shared <see cref="CircuitLayout"/>: a gate node per recorded op,
/// labelled with its name and output shape, and an input node per leaf (parameters, the leaves that require grad,
/// framed and tagged "param"; inputs without grad plain). Wires carry the shape and, where known, summaries of the
/// forward value and of the gradient (see <see cref="TensorTrace"/>).
/// </summary>
internal static class TensorGraphLayout
{
    public const string CollapseNote =
        "runs of 3 or more identical blocks drawn as one node ×N (their parameters not drawn), ⋯ marks wires from " +
        "ops not drawn";

    public static CircuitLayout Build(Tensor output, VizOptions options, IReadOnlyDictionary<string, Tensor>? names)
    {
        ArgumentNullException.ThrowIfNull(output);
        options.Validate();
        var naming = new TensorNaming(names);
        if (output.gradFn is null)
        {
            // a tensor with no graph: draw the leaf itself
            var leaf = InputNode(naming, output, output.shape, options, naming.Output(output) ?? "out");
            return Finish([leaf], leaf, 0, 0);
        }

        var order = Topological(output.gradFn, output.shape, out var shapeOf);
        var nodes = new List<LayoutNode>();
        var nodeOf = new Dictionary<Node, LayoutNode>(ReferenceEqualityComparer.Instance);
        var leafOf = new Dictionary<Tensor, LayoutNode>(ReferenceEqualityComparer.Instance);
        var opName = new Dictionary<LayoutNode, string>();
        foreach (var node in order)
        {
            var inputs = new List<LayoutNode>();
            foreach (var edge in node.edges)
            {
                if (edge.Node is { } producer) { inputs.Add(nodeOf[producer]); continue; }
                if (edge.Leaf is { } leaf && leafOf.TryGetValue(leaf, out var known)) { inputs.Add(known); continue; }
                var input = InputNode(naming, edge.Leaf, edge.Shape, options, null);
                if (edge.Leaf is not null) leafOf[edge.Leaf] = input;
                nodes.Add(input);
                inputs.Add(input);
            }
            int[] shape = shapeOf[node];
            bool isOutput = ReferenceEquals(node, output.gradFn);
            var traced = TensorTrace.Find(node);
            string name = naming.Of(node) ?? (isOutput ? "out" : naming.Next(node.Name.ToLowerInvariant()));
            var value = isOutput ? TensorSummary.Of(output) : traced?.Value;
            var wire = new WireText(name, ValueText(shape, value, options), GradText(traced?.Grad, options));
            var gate = new LayoutNode(NodeKind.Gate, wire, $"{node.Name} {Shapes.Format(shape)}");
            gate.Inputs.AddRange(inputs);
            opName[gate] = node.Name;
            nodes.Add(nodeOf[node] = gate);
        }
        var outputNode = nodeOf[output.gradFn];
        var blockOps = RepeatedBlocks.Collapse(nodes, ref outputNode, n => opName[n], InputKey);
        int drawnNodes = nodes.Count(n => n.Kind is NodeKind.Gate or NodeKind.Chain);
        // rule 2 (as for scalar circuits) caps the drawn ops; with no cap it still drops parameters of collapsed runs
        nodes = CircuitLayout.KeepNearestOutput(nodes, outputNode,
            drawnNodes > options.CollapseAbove ? options.CollapseAbove : int.MaxValue);
        int drawnOps = nodes.Sum(n => n.Kind switch { NodeKind.Gate => 1, NodeKind.Chain => blockOps[n], _ => 0 });
        return Finish(nodes, outputNode, order.Count, drawnOps);
    }

    private static CircuitLayout Finish(List<LayoutNode> nodes, LayoutNode output, int totalOps, int drawnOps) => new()
    {
        Output = output, Nodes = nodes, Layers = CircuitLayout.Arrange(nodes, output, inputsNearUse: true),
        TotalGates = totalOps, DrawnGates = drawnOps, Unit = "ops", CollapseNote = CollapseNote,
    };

    // repeated blocks match when their inputs have the same kind and shape, whatever the tensors are called
    private static string InputKey(LayoutNode input) =>
        (input.IsParameter ? "param" : "input") + input.Wire.Value.Split(' ')[0];

    /// <summary>The nodes reachable from <paramref name="root"/>, each after its inputs (iterative depth-first
    /// search).</summary>
    private static List<Node> Topological(Node root, int[] rootShape, out Dictionary<Node, int[]> shapeOf)
    {
        var order = new List<Node>();
        shapeOf = new Dictionary<Node, int[]>(ReferenceEqualityComparer.Instance) { [root] = rootShape };
        var visited = new HashSet<Node>(ReferenceEqualityComparer.Instance) { root };
        var stack = new Stack<(Node node, int edge)>([(root, 0)]);
        while (stack.Count > 0)
        {
            var (node, edge) = stack.Pop();
            if (edge == node.edges.Length) { order.Add(node); continue; }
            stack.Push((node, edge + 1));
            var e = node.edges[edge];
            // an edge records the shape of the tensor on it: the only place the graph keeps an op's output shape
            if (e.Node is { } producer && visited.Add(producer))
            {
                shapeOf[producer] = e.Shape;
                stack.Push((producer, 0));
            }
        }
        return order;
    }

    private static LayoutNode InputNode(TensorNaming naming, Tensor? leaf, int[]? shape, VizOptions options,
        string? outputName)
    {
        bool isParameter = leaf is { RequiresGrad: true };
        string? given = outputName ?? (leaf is null ? null : naming.Of(leaf));
        string name = given ?? naming.Next(isParameter ? "param" : "input");
        string label = isParameter ? (given is null ? "param" : given + " param") : given ?? "input";
        var value = leaf is null ? (TensorSummary?)null : TensorSummary.Of(leaf);
        var grad = leaf?.Grad is { } g ? TensorSummary.Of(g) : (TensorSummary?)null;
        var wire = new WireText(name, ValueText(shape, value, options), GradText(grad, options));
        return new LayoutNode(NodeKind.Input, wire, label) { IsParameter = isParameter };
    }

    // above the wire: its shape, then the value itself for one element, or its norm and range
    private static string ValueText(int[]? shape, TensorSummary? value, VizOptions options)
    {
        string text = shape is null ? "[?]" : Shapes.Format(shape);
        if (value is not { } v) return text;
        string N(double x) => Format.Number(x, options.Digits);
        return v.Count == 1 ? $"{text} v={N(v.Max)}" : $"{text} ‖v‖={N(v.Norm)} ∈[{N(v.Min)},{N(v.Max)}]";
    }

    // below the wire: the gradient itself for one element, or its norm; nothing when it is not known
    private static string GradText(TensorSummary? grad, VizOptions options) => grad switch
    {
        null => "",
        { Count: 1 } g => "g=" + Format.Number(g.Max, options.Digits),
        { } g => "‖g‖=" + Format.Number(g.Norm, options.Digits),
    };
}

/// <summary>Wire names for a tensor graph: the names the caller gave, otherwise made from the op
/// (<c>matmul1</c>).</summary>
internal sealed class TensorNaming
{
    private readonly Dictionary<object, string> _given = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _taken = ["out"];
    private readonly Dictionary<string, int> _counters = [];

    public TensorNaming(IReadOnlyDictionary<string, Tensor>? names)
    {
        foreach (var (name, tensor) in names ?? new Dictionary<string, Tensor>())
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("Viz: a tensor name must not be empty",
                nameof(names));
            ArgumentNullException.ThrowIfNull(tensor, $"{nameof(names)}[\"{name}\"]");
            // an op's output is found through its node, since the graph does not keep the tensor itself
            _given[(object?)tensor.gradFn ?? tensor] = name;
            _taken.Add(name);
        }
    }

    /// <summary>The name given to a leaf tensor or to the output of a node, or null.</summary>
    public string? Of(object tensorOrNode) => _given.GetValueOrDefault(tensorOrNode);

    /// <summary>The name given to the drawn output tensor, or null.</summary>
    public string? Output(Tensor output) => Of((object?)output.gradFn ?? output);

    // "out" names the output unless the caller named it, so generated names never take it
    /// <summary>A fresh name: the stem and a counter.</summary>
    public string Next(string stem)
    {
        string name;
        do name = stem + (_counters[stem] = _counters.GetValueOrDefault(stem) + 1);
        while (!_taken.Add(name));
        return name;
    }
}
