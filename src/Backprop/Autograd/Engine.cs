namespace Backprop;

/// <summary>
/// The backward pass, and nothing else: finds every node reachable from the outputs (iteratively, no recursion),
/// counts each node's consumers, then runs the nodes in topological order so that each sees the sum of its upstream
/// gradients once. Leaves receive their gradients only after every node ran, so an error leaves every Grad as it was.
/// </summary>
internal static class Engine
{
    private static int s_pass;   // marks the nodes one pass visited; process-wide so two threads never share a mark

    /// <summary>
    /// Backpropagates <paramref name="rootGrads"/> from <paramref name="roots"/>. With <paramref name="inputs"/>,
    /// returns the gradients reaching them and leaves Grad untouched; otherwise accumulates into the leaves' Grad.
    /// </summary>
    public static Tensor?[]? Run(Tensor[] roots, Tensor[] rootGrads, Tensor[]? inputs, bool retainGraph,
        bool createGraph)
    {
        int pass = Interlocked.Increment(ref s_pass);
        List<Node> visited = [];
        List<Tensor> touchedLeaves = [];
        Stack<Node> ready = new();
        var context = new BackwardContext(createGraph);
        // the rules' own tensor ops are recorded only when the caller wants to differentiate the gradients again
        using var mode = Autograd.SetGradEnabled(createGraph);
        try
        {
            Discover(roots, pass, visited);
            if (inputs is not null)
                foreach (var t in inputs) if (t.gradFn is { } n) n.capture = true;

            for (int i = 0; i < roots.Length; i++)
            {
                if (roots[i].gradFn is { } n)
                {
                    Accumulate(ref n.gradSum, ref n.gradOwned, rootGrads[i]);
                    if (n.deps == 0) { n.deps = -1; ready.Push(n); }  // -1: queued once even if it is a root twice
                }
                else AddToLeaf(roots[i], rootGrads[i], touchedLeaves);
            }
            while (ready.Count > 0) RunNode(ready.Pop(), ready, touchedLeaves, context);

            foreach (var leaf in touchedLeaves)
                if (leaf.leafHooks is not null) leaf.pendingGrad = RunHooks(leaf.leafHooks, leaf.pendingGrad!);

            Tensor?[]? results = null;
            if (inputs is not null)
            {
                results = new Tensor?[inputs.Length];
                for (int i = 0; i < inputs.Length; i++)
                    results[i] = inputs[i].gradFn is { } n ? n.captured : inputs[i].pendingGrad;
            }
            else foreach (var leaf in touchedLeaves) AccumulateIntoGrad(leaf, leaf.pendingGrad!, createGraph);
            if (!retainGraph) foreach (var n in visited) n.Release();
            return results;
        }
        finally
        {
            foreach (var n in visited) { n.gradSum = n.captured = null; n.deps = 0; n.capture = n.gradOwned = false; }
            foreach (var leaf in touchedLeaves) leaf.pendingGrad = null;
        }
    }

    // Grad += g, as PyTorch: in place outside createGraph, so a loop that zeroes gradients keeps their memory
    private static void AccumulateIntoGrad(Tensor leaf, Tensor g, bool createGraph)
    {
        if (createGraph) leaf.Grad = leaf.Grad is null ? g : leaf.Grad + g;
        else if (leaf.Grad is null) leaf.Grad = g.Contiguous().Detach();
        else if (leaf.Grad is { gradFn: null, IsContiguous: true } grad && grad.DType == g.DType) grad.AddInPlace(g);
        else leaf.Grad += g;
    }

    private static void Discover(Tensor[] roots, int pass, List<Node> visited)
    {
        var stack = new Stack<Node>();
        foreach (var r in roots)
            if (r.gradFn is { } n && n.mark != pass) { n.mark = pass; n.deps = 0; visited.Add(n); stack.Push(n); }
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (n.released)
                throw new InvalidOperationException(
                    $"Backward: trying to backward through the graph a second time: the saved tensors of {n.Name} " +
                    "were freed after the first backward pass. Pass retainGraph: true to the first call if you " +
                    "need to backward twice.");
            foreach (var e in n.edges)
            {
                if (e.Node is not { } c) continue;
                if (c.mark != pass) { c.mark = pass; c.deps = 0; visited.Add(c); stack.Push(c); }
                c.deps++;
            }
        }
    }

    private static void RunNode(Node n, Stack<Node> ready, List<Tensor> touchedLeaves, BackwardContext context)
    {
        var g = n.gradSum;
        n.gradSum = null;
        Tensor?[]? grads = null;
        if (g is not null)
        {
            bool owned = n.gradOwned;
            if (n.hooks is { Count: > 0 }) { g = RunHooks(n.hooks, g); owned = false; }
            if (n.capture) { n.captured = g; owned = false; }
            grads = n.Apply(g, context.For(owned ? g : null));
            Validate(n, grads);
        }
        for (int i = 0; i < n.edges.Length; i++)
        {
            var e = n.edges[i];
            var gi = grads?[i];
            if (e.Node is { } c)
            {
                if (gi is not null) Accumulate(ref c.gradSum, ref c.gradOwned, gi);
                if (--c.deps == 0) ready.Push(c);
            }
            else if (e.Leaf is { } leaf && gi is not null) AddToLeaf(leaf, gi, touchedLeaves);
        }
    }

    private static void AddToLeaf(Tensor leaf, Tensor g, List<Tensor> touchedLeaves)
    {
        if (leaf.pendingGrad is null) touchedLeaves.Add(leaf);
        bool owned = false;
        Accumulate(ref leaf.pendingGrad, ref owned, g);
    }

    // the gradients meeting at a fork add up; a sum the engine made is its own, so the node's rule may reuse it
    private static void Accumulate(ref Tensor? sum, ref bool owned, Tensor g)
    {
        owned = sum is not null;
        sum = sum is null ? g : sum + g;
    }

    private static void Validate(Node n, Tensor?[] grads)
    {
        if (grads.Length != n.edges.Length)
            throw new InvalidOperationException(
                $"{n.Name}: backward returned {grads.Length} gradients for {n.edges.Length} inputs");
        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is not { } gi || n.edges[i].IsEmpty) continue;
            if (!Shapes.Equal(gi.shape, n.edges[i].Shape))
                throw new InvalidOperationException(
                    $"{n.Name}: backward returned a gradient of shape {Shapes.Format(gi.shape)} for input {i} of " +
                    $"shape {Shapes.Format(n.edges[i].Shape)}");
            if (Autograd.IsAnomalyEnabled && !gi.Backend.AllFinite(gi))
                throw new InvalidOperationException(
                    $"Anomaly: {n.Name} returned NaN or Inf in its gradient for input {i} (shape " +
                    $"{Shapes.Format(gi.shape)}). The op was created at:{Environment.NewLine}" +
                    (n.creationTrace ?? "  (not recorded: the op was created outside DetectAnomaly)"));
        }
    }

    private static Tensor RunHooks(List<Func<Tensor, Tensor?>> hooks, Tensor g)
    {
        foreach (var hook in hooks)
        {
            var replaced = hook(g);
            if (replaced is null) continue;
            if (!Shapes.Equal(replaced.shape, g.shape))
                throw new InvalidOperationException(
                    $"RegisterHook: a hook returned shape {Shapes.Format(replaced.shape)} for a gradient of shape " +
                    $"{Shapes.Format(g.shape)}");
            g = replaced;
        }
        return g;
    }
}

/// <summary>
/// What a node's backward rule may know about the pass running it, handed to it explicitly: whether the pass records
/// its own ops (createGraph), and whether the rule may overwrite its upstream gradient's memory.
/// </summary>
internal sealed class BackwardContext(bool createGraph)
{
    private Tensor? _reusable;

    /// <summary>
    /// True when the caller will differentiate the gradients again: the rule must then be written in recorded tensor
    /// ops; otherwise it may run a fused kernel that records nothing.
    /// </summary>
    public bool CreateGraph { get; } = createGraph;

    /// <summary>
    /// Whether the rule may write into <paramref name="g"/>: a sum the engine made at a fork, which no hook, caller
    /// or recorded graph has seen and which nothing reads after the rule returns.
    /// </summary>
    public bool MayReuse(Tensor g) => !CreateGraph && ReferenceEquals(g, _reusable);

    internal BackwardContext For(Tensor? reusable)
    {
        _reusable = reusable;
        return this;
    }
}
