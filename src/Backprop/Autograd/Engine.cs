namespace Backprop;

/// <summary>
/// The backward pass: finds every node reachable from the outputs (iteratively, no recursion), counts how many
/// consumers each one has, then runs nodes in topological order so that each sees its full gradient once.
/// Leaves receive their gradients only after every node ran, so an error leaves all Grad properties unchanged.
/// </summary>
internal static class Engine
{
    [ThreadStatic] private static int t_pass;

    /// <summary>
    /// Backpropagates <paramref name="rootGrads"/> from <paramref name="roots"/>. With <paramref name="inputs"/>,
    /// returns the gradients reaching them and leaves Grad untouched; otherwise accumulates into the leaves' Grad.
    /// </summary>
    public static Tensor?[]? Run(Tensor[] roots, Tensor[] rootGrads, Tensor[]? inputs, bool retainGraph, bool createGraph)
    {
        int pass = ++t_pass;
        var visited = new List<Node>();
        var touchedLeaves = new List<Tensor>();
        using var mode = Autograd.SetGradEnabled(createGraph);
        try
        {
            Discover(roots, pass, visited);
            if (inputs is not null)
                foreach (var t in inputs) if (t.gradFn is { } n) n.capture = true;

            var ready = new Stack<Node>();
            for (int i = 0; i < roots.Length; i++)
            {
                if (roots[i].gradFn is { } n)
                {
                    n.gradSum = n.gradSum is null ? rootGrads[i] : n.gradSum + rootGrads[i];
                    if (n.deps == 0) { n.deps = -1; ready.Push(n); }  // -1: queued once even if it is a root twice
                }
                else AddToLeaf(roots[i], rootGrads[i], touchedLeaves);
            }
            while (ready.Count > 0) RunNode(ready.Pop(), ready, touchedLeaves);

            foreach (var leaf in touchedLeaves)
                if (leaf.leafHooks is not null) leaf.pendingGrad = RunHooks(leaf.leafHooks, leaf.pendingGrad!);

            Tensor?[]? results = null;
            if (inputs is not null)
            {
                results = new Tensor?[inputs.Length];
                for (int i = 0; i < inputs.Length; i++)
                    results[i] = inputs[i].gradFn is { } n ? n.captured : inputs[i].pendingGrad;
            }
            else
            {
                foreach (var leaf in touchedLeaves)
                {
                    var g = leaf.pendingGrad!;
                    if (!createGraph) g = g.Contiguous().Detach();
                    leaf.Grad = leaf.Grad is null ? g : leaf.Grad + g;
                }
            }
            if (!retainGraph) foreach (var n in visited) n.Release();
            return results;
        }
        finally
        {
            foreach (var n in visited) { n.gradSum = n.captured = null; n.deps = 0; n.capture = false; }
            foreach (var leaf in touchedLeaves) leaf.pendingGrad = null;
        }
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
                    $"Backward: trying to backward through the graph a second time: the saved tensors of {n.Name} were freed " +
                    "after the first backward pass. Pass retainGraph: true to the first call if you need to backward twice.");
            foreach (var e in n.edges)
            {
                if (e.Node is not { } c) continue;
                if (c.mark != pass) { c.mark = pass; c.deps = 0; visited.Add(c); stack.Push(c); }
                c.deps++;
            }
        }
    }

    private static void RunNode(Node n, Stack<Node> ready, List<Tensor> touchedLeaves)
    {
        var g = n.gradSum;
        n.gradSum = null;
        Tensor?[]? grads = null;
        if (g is not null)
        {
            if (n.hooks is not null) g = RunHooks(n.hooks, g);
            if (n.capture) n.captured = g;
            grads = n.Apply(g);
            Validate(n, grads);
        }
        for (int i = 0; i < n.edges.Length; i++)
        {
            var e = n.edges[i];
            var gi = grads?[i];
            if (e.Node is { } c)
            {
                if (gi is not null) c.gradSum = c.gradSum is null ? gi : c.gradSum + gi;
                if (--c.deps == 0) ready.Push(c);
            }
            else if (e.Leaf is { } leaf && gi is not null) AddToLeaf(leaf, gi, touchedLeaves);
        }
    }

    private static void AddToLeaf(Tensor leaf, Tensor g, List<Tensor> touchedLeaves)
    {
        if (leaf.pendingGrad is null) { touchedLeaves.Add(leaf); leaf.pendingGrad = g; }
        else leaf.pendingGrad = leaf.pendingGrad + g;
    }

    private static void Validate(Node n, Tensor?[] grads)
    {
        if (grads.Length != n.edges.Length)
            throw new InvalidOperationException($"{n.Name}: backward returned {grads.Length} gradients for {n.edges.Length} inputs");
        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is not { } gi || n.edges[i].IsEmpty) continue;
            if (!Shapes.Equal(gi.shape, n.edges[i].Shape))
                throw new InvalidOperationException(
                    $"{n.Name}: backward returned a gradient of shape {Shapes.Format(gi.shape)} for input {i} of shape {Shapes.Format(n.edges[i].Shape)}");
            if (Autograd.IsAnomalyEnabled && !gi.Backend.AllFinite(gi))
                throw new InvalidOperationException(
                    $"Anomaly: {n.Name} returned NaN or Inf in its gradient for input {i} (shape {Shapes.Format(gi.shape)}). " +
                    $"The op was created at:{Environment.NewLine}{n.creationTrace ?? "  (not recorded: the op was created outside DetectAnomaly)"}");
        }
    }

    private static Tensor RunHooks(List<Func<Tensor, Tensor?>> hooks, Tensor g)
    {
        foreach (var hook in hooks)
        {
            var replaced = hook(g);
            if (replaced is null) continue;
            if (!Shapes.Equal(replaced.shape, g.shape))
                throw new InvalidOperationException($"RegisterHook: a hook returned shape {Shapes.Format(replaced.shape)} for a gradient of shape {Shapes.Format(g.shape)}");
            g = replaced;
        }
        return g;
    }
}
