using System.Diagnostics;

namespace Backprop;

/// <summary>Where the gradient for one input of a node goes: the node that produced it, or a leaf to accumulate into.</summary>
internal readonly struct Edge(Node? node, Tensor? leaf, int[] shape)
{
    public readonly Node? Node = node;
    public readonly Tensor? Leaf = leaf;
    public readonly int[] Shape = shape;

    public bool IsEmpty => Node is null && Leaf is null;

    /// <summary>The edge for input <paramref name="t"/>: empty when no gradient is wanted for it.</summary>
    public static Edge To(Tensor t) =>
        t.gradFn is { } n ? new Edge(n, null, t.shape) : t.RequiresGrad ? new Edge(null, t, t.shape) : new Edge(null, null, t.shape);
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
            if (frame.GetMethod() is not { } method || method.DeclaringType?.Assembly == typeof(Node).Assembly) continue;
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

    /// <summary>The node that produced input <paramref name="i"/>, or null for a leaf or an input without grad.</summary>
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
    /// Gradients for each input from the gradient of the output (null where an input needs none); what the rule may
    /// know of the pass comes in <paramref name="context"/>.
    /// </summary>
    internal abstract Tensor?[] Apply(Tensor grad, BackwardContext context);

    /// <summary>Drops saved tensors after a backward pass that did not retain the graph.</summary>
    internal virtual void Release() => released = true;
}

internal delegate Tensor UnaryRule(Tensor g, Tensor x, Tensor y);
internal delegate Tensor BinaryRule(Tensor g, Tensor a, Tensor b, Tensor y);

/// <summary>A one-input op whose rule sees its input and output.</summary>
internal sealed class UnaryNode(string name, Tensor x, Tensor y, UnaryRule rule) : Node(name, [Edge.To(x)])
{
    private Tensor? _x = x, _y = y;
    private UnaryRule? _rule = rule;

    internal override Tensor?[] Apply(Tensor grad, BackwardContext context) => [_rule!(grad, _x!, _y!)];

    internal override void Release() { base.Release(); _x = _y = null; _rule = null; }
}

/// <summary>
/// A one-input op whose input gradient is the output's times a constant (x + s, x·s, s − x): it saves no tensor
/// and needs no closure, which matters most on long chains of small ops.
/// </summary>
internal sealed class ScaleNode(string name, Tensor x, double factor) : Node(name, [Edge.To(x)])
{
    internal override Tensor?[] Apply(Tensor grad, BackwardContext context) => [factor switch { 1 => grad, -1 => -grad, _ => grad * factor }];
}

/// <summary>A two-input broadcasting op; gradients are summed back to each input's shape here, once for all ops.</summary>
internal sealed class BinaryNode(string name, Tensor a, Tensor b, Tensor y, BinaryRule? gradA, BinaryRule? gradB)
    : Node(name, [gradA is null ? default : Edge.To(a), gradB is null ? default : Edge.To(b)])
{
    private Tensor? _a = a, _b = b, _y = y;
    private BinaryRule? _gradA = gradA, _gradB = gradB;

    internal override Tensor?[] Apply(Tensor grad, BackwardContext context) =>
    [
        NeedsGrad(0) ? Op.SumTo(_gradA!(grad, _a!, _b!, _y!), _a!.shape) : null,
        NeedsGrad(1) ? Op.SumTo(_gradB!(grad, _a!, _b!, _y!), _b!.shape) : null,
    ];

    internal override void Release() { base.Release(); _a = _b = _y = null; _gradA = _gradB = null; }
}

/// <summary>A one-input op whose rule is a closure over what it saved (views, reductions, indexing).</summary>
internal sealed class UnaryLambdaNode(string name, Tensor x, Func<Tensor, Tensor> rule) : Node(name, [Edge.To(x)])
{
    private Func<Tensor, Tensor>? _rule = rule;

    internal override Tensor?[] Apply(Tensor grad, BackwardContext context) => [_rule!(grad)];

    internal override void Release() { base.Release(); _rule = null; }
}

/// <summary>
/// A one-input op whose rule asks the pass whether it creates a graph: a fused op (cross-entropy, max pooling) runs
/// its fused kernel unless the gradient must differentiate again.
/// </summary>
internal sealed class FusedUnaryNode(string name, Tensor x, Func<Tensor, BackwardContext, Tensor> rule)
    : Node(name, [Edge.To(x)])
{
    private Func<Tensor, BackwardContext, Tensor>? _rule = rule;

    internal override Tensor?[] Apply(Tensor grad, BackwardContext context) => [_rule!(grad, context)];

    internal override void Release() { base.Release(); _rule = null; }
}

/// <summary>Any op of several inputs whose rule is a closure over what it saved (joins, indexing, custom functions).</summary>
internal sealed class LambdaNode(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> rule) : Node(name, EdgesOf(inputs))
{
    private Func<Tensor, Tensor?[]>? _rule = rule;

    internal override Tensor?[] Apply(Tensor grad, BackwardContext context) => _rule!(grad);

    internal override void Release() { base.Release(); _rule = null; }
}
