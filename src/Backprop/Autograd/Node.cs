using System.Diagnostics;

namespace Backprop;

/// <summary>Where the gradient of one input of a node goes: the node that made the input, or a leaf.</summary>
internal readonly struct Edge(Node? node, Tensor? leaf, int[] shape)
{
    public readonly Node? Node = node;
    public readonly Tensor? Leaf = leaf;
    public readonly int[] Shape = shape;

    public bool IsEmpty => Node is null && Leaf is null;

    /// <summary>The edge for input <paramref name="t"/>: empty when no gradient is wanted for it.</summary>
    public static Edge To(Tensor t) =>
        t.gradFn is { } n ? new Edge(n, null, t.shape)
        : t.RequiresGrad ? new Edge(null, t, t.shape)
        : new Edge(null, null, t.shape);
}

/// <summary>
/// A recorded op in the autograd graph (PyTorch's grad_fn): it knows its inputs and turns the gradient of its
/// output into gradients for them. Each node produced exactly one tensor.
/// </summary>
public abstract class Node
{
    internal readonly Edge[] edges;
    internal readonly string? creationTrace;
    internal bool released;
    internal List<Func<Tensor, Tensor?>>? hooks;  // hooks registered on the tensor this node produced
    // the backward engine's scratch state, reset after each pass
    internal int deps, mark;
    internal Tensor? gradSum, captured;
    internal bool capture, gradOwned;

    private protected Node(string name, Edge[] edges)
    {
        Name = name;
        this.edges = edges;
        if (Autograd.IsAnomalyEnabled) creationTrace = CallerFrames(new StackTrace(true));
    }

    // the frames outside this library: how many of its own frames lead here depends on what the JIT inlined
    private static string CallerFrames(StackTrace trace)
    {
        var text = new System.Text.StringBuilder();
        foreach (var frame in trace.GetFrames())
        {
            if (frame.GetMethod() is not { } method || method.DeclaringType?.Assembly == typeof(Node).Assembly)
                continue;
            text.Append($"   at {method.DeclaringType?.FullName}.{method.Name}");
            if (frame.GetFileName() is { } file) text.Append($" in {file}:line {frame.GetFileLineNumber()}");
            text.AppendLine();
        }
        return text.ToString();
    }

    /// <summary>The op's name, as in error messages (Mul, MatMul, ...).</summary>
    public string Name { get; }

    /// <summary>Number of inputs of the op.</summary>
    public int InputCount => edges.Length;

    /// <summary>The node that produced input <paramref name="i"/>; null for a leaf or an input with no grad.</summary>
    public Node? NextFunction(int i) => edges[i].Node;

    /// <inheritdoc/>
    public override string ToString() => $"<{Name}Backward>";

    internal bool NeedsGrad(int i) => !edges[i].IsEmpty;

    private protected static Edge[] EdgesOf(Tensor[] inputs)
    {
        var edges = new Edge[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) edges[i] = Edge.To(inputs[i]);
        return edges;
    }

    /// <summary>
    /// Gradients for each input from the gradient of the output (null where an input needs none), by the op's
    /// <see cref="Rule"/> once <see cref="CheckSaved"/> found the tensors it reads as they were saved.
    /// </summary>
    internal Tensor?[] Apply(Tensor grad, BackwardContext context)
    {
        CheckSaved();
        return Rule(grad, context);
    }

    /// <summary>
    /// The op's gradient rule: gradients for each input from the gradient of the output; what the rule may know of
    /// the pass comes in <paramref name="context"/>.
    /// </summary>
    private protected abstract Tensor?[] Rule(Tensor grad, BackwardContext context);

    /// <summary>
    /// Throws when an in-place write changed a tensor that the rule reads since this node saved it, so that no
    /// gradient is computed from overwritten values; nodes that save tensors override it.
    /// </summary>
    internal virtual void CheckSaved() { }

    /// <summary>Drops saved tensors after a backward pass that did not retain the graph.</summary>
    internal virtual void Release() => released = true;
}

/// <summary>
/// Which of an elementwise op's tensors its gradient rule reads, named as the rule's parameters: the node saves those,
/// with their versions, and passes null for the others.
/// </summary>
[Flags]
internal enum Reads : byte
{
    Nothing = 0,
    X = 1,          // the input of a one-input op
    A = 1,          // the first input of a two-input op
    B = 2,          // the second input of a two-input op
    Y = 4,          // the output
}

/// <summary>
/// A tensor that a node's rule reads, with the version its storage had when the node saved it (PyTorch's
/// SavedVariable). A value type, so saving costs no allocation; the default saves nothing.
/// </summary>
internal readonly struct SavedTensor(Tensor tensor)
{
    public readonly Tensor? Tensor = tensor;
    private readonly int _version = tensor.Version;

    /// <summary>Saves <paramref name="tensor"/> when the rule <paramref name="reads"/> it, else nothing.</summary>
    public static SavedTensor If(bool reads, Tensor tensor) => reads ? new(tensor) : default;

    /// <summary>Saves each of <paramref name="tensors"/>; no allocation when there are none.</summary>
    public static SavedTensor[] All(ReadOnlySpan<Tensor> tensors)
    {
        if (tensors.IsEmpty) return [];
        var saved = new SavedTensor[tensors.Length];
        for (int i = 0; i < saved.Length; i++) saved[i] = new(tensors[i]);
        return saved;
    }

    /// <summary>Throws, naming the op of <paramref name="node"/>, when the tensor was written in place since.</summary>
    public void Check(Node node)
    {
        if (Tensor is { } t && t.Version != _version) throw Modified(node, t, _version);
    }

    /// <summary>Checks each of <paramref name="saved"/> as <see cref="Check(Node)"/> does.</summary>
    public static void CheckAll(SavedTensor[] saved, Node node)
    {
        foreach (var s in saved) s.Check(node);
    }

    private static InvalidOperationException Modified(Node node, Tensor t, int savedVersion) => new(
        $"Backward: a variable needed for gradient computation has been modified by an inplace operation: the " +
        $"{t.DType} tensor of shape {Shapes.Format(t.shape)} that {node.Name} saved for its gradient was at version " +
        $"{savedVersion} and is now at version {t.Version}. Hint: clone the tensor before modifying it in place " +
        "(Clone()), or do the in-place update (such as an optimizer step) after the backward pass." +
        (node.creationTrace is { } trace ? $" The op was created at:{Environment.NewLine}{trace}" : ""));
}

/// <summary>dx from the output's gradient g, the input x and the output y (null unless the op reads it).</summary>
internal delegate Tensor UnaryRule(Tensor g, Tensor x, Tensor y);

/// <summary>One input's gradient from g, the inputs a, b and the output y (null unless its op reads it).</summary>
internal delegate Tensor BinaryRule(Tensor g, Tensor a, Tensor b, Tensor y);

/// <summary>A one-input op whose rule sees its input and output: it saves those the rule reads.</summary>
internal sealed class UnaryNode(string name, Tensor x, Tensor y, UnaryRule rule, Reads reads) : Node(name, [Edge.To(x)])
{
    private SavedTensor _x = SavedTensor.If((reads & Reads.X) != 0, x), _y = SavedTensor.If((reads & Reads.Y) != 0, y);
    private UnaryRule? _rule = rule;

    internal override void CheckSaved()
    {
        _x.Check(this);
        _y.Check(this);
    }

    private protected override Tensor?[] Rule(Tensor grad, BackwardContext context) =>
        [_rule!(grad, _x.Tensor!, _y.Tensor!)];

    internal override void Release() { base.Release(); _x = _y = default; _rule = null; }
}

/// <summary>
/// A one-input op whose input gradient is the output's times a constant (x + s, x·s, s − x): it saves no tensor
/// and needs no closure, which matters most on long chains of small ops.
/// </summary>
internal sealed class ScaleNode(string name, Tensor x, double factor) : Node(name, [Edge.To(x)])
{
    private protected override Tensor?[] Rule(Tensor grad, BackwardContext context) =>
        [factor switch { 1 => grad, -1 => -grad, _ => grad * factor }];
}

/// <summary>
/// A two-input broadcasting op; gradients are summed back to each input's shape here, once for all ops. It saves
/// what the rules of the inputs that want a gradient read, as PyTorch does: a·b keeps b only when a wants one.
/// </summary>
internal sealed class BinaryNode : Node
{
    private SavedTensor _a, _b, _y;
    private BinaryRule? _gradA, _gradB;

    public BinaryNode(string name, Tensor a, Tensor b, Tensor y, BinaryRule? gradA, Reads gradAReads, BinaryRule? gradB,
        Reads gradBReads) : base(name, [gradA is null ? default : Edge.To(a), gradB is null ? default : Edge.To(b)])
    {
        var reads = (NeedsGrad(0) ? gradAReads : Reads.Nothing) | (NeedsGrad(1) ? gradBReads : Reads.Nothing);
        _a = SavedTensor.If((reads & Reads.A) != 0, a);
        _b = SavedTensor.If((reads & Reads.B) != 0, b);
        _y = SavedTensor.If((reads & Reads.Y) != 0, y);
        _gradA = gradA;
        _gradB = gradB;
    }

    internal override void CheckSaved()
    {
        _a.Check(this);
        _b.Check(this);
        _y.Check(this);
    }

    private protected override Tensor?[] Rule(Tensor grad, BackwardContext context) =>
    [
        NeedsGrad(0) ? Op.SumTo(_gradA!(grad, _a.Tensor!, _b.Tensor!, _y.Tensor!), edges[0].Shape) : null,
        NeedsGrad(1) ? Op.SumTo(_gradB!(grad, _a.Tensor!, _b.Tensor!, _y.Tensor!), edges[1].Shape) : null,
    ];

    internal override void Release() { base.Release(); _a = _b = _y = default; _gradA = _gradB = null; }
}

/// <summary>A one-input op whose rule is a closure (views, reductions, indexing); it saves what that reads.</summary>
internal sealed class UnaryLambdaNode(string name, Tensor x, Func<Tensor, Tensor> rule, SavedTensor[] saved)
    : Node(name, [Edge.To(x)])
{
    private Func<Tensor, Tensor>? _rule = rule;
    private SavedTensor[] _saved = saved;

    internal override void CheckSaved() => SavedTensor.CheckAll(_saved, this);

    private protected override Tensor?[] Rule(Tensor grad, BackwardContext context) => [_rule!(grad)];

    internal override void Release() { base.Release(); _rule = null; _saved = []; }
}

/// <summary>
/// A one-input op whose rule asks the pass whether it creates a graph: a fused op (cross-entropy, max pooling) runs
/// its fused kernel unless the gradient must differentiate again. It saves what the rule reads.
/// </summary>
internal sealed class FusedUnaryNode(string name, Tensor x, Func<Tensor, BackwardContext, Tensor> rule,
    SavedTensor[] saved) : Node(name, [Edge.To(x)])
{
    private Func<Tensor, BackwardContext, Tensor>? _rule = rule;
    private SavedTensor[] _saved = saved;

    internal override void CheckSaved() => SavedTensor.CheckAll(_saved, this);

    private protected override Tensor?[] Rule(Tensor grad, BackwardContext context) => [_rule!(grad, context)];

    internal override void Release() { base.Release(); _rule = null; _saved = []; }
}

/// <summary>
/// Any op of several inputs whose rule is a closure (joins, indexing, custom functions); it saves what the closure
/// reads.
/// </summary>
internal sealed class LambdaNode(string name, Tensor[] inputs, Func<Tensor, BackwardContext, Tensor?[]> rule,
    SavedTensor[] saved) : Node(name, EdgesOf(inputs))
{
    private Func<Tensor, BackwardContext, Tensor?[]>? _rule = rule;
    private SavedTensor[] _saved = saved;

    internal override void CheckSaved() => SavedTensor.CheckAll(_saved, this);

    private protected override Tensor?[] Rule(Tensor grad, BackwardContext context) => _rule!(grad, context);

    internal override void Release() { base.Release(); _rule = null; _saved = []; }
}
