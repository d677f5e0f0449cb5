using System.Numerics.Tensors;

namespace Backprop;

/// <summary>
/// The backward pass: finds every node reachable from the outputs (iteratively, no recursion), counts how many
/// consumers each one has, then runs nodes in topological order so that each sees its full gradient once.
/// Leaves receive their gradients only after every node ran, so an error leaves all Grad properties unchanged.
/// Without createGraph, the pass counts how many of its gradient slots hold each storage it allocated; one that
/// no slot holds any more, and that no hook, caller or custom function saw, is recycled (<see cref="Storage.Release"/>).
/// A node whose producer's gradient nothing else would see may run both rules at once (<see cref="Node.ApplyWithProducer"/>).
/// </summary>
internal static class Engine
{
    [ThreadStatic] private static int t_pass;
    [ThreadStatic] private static long t_recycling;
    private static long s_recyclingPasses;  // process-wide, so a storage tagged on one thread never matches another's pass

    /// <summary>Turns recycling off on this thread, so tests can compare results with and without it.</summary>
    [ThreadStatic] internal static bool RecyclingOff;

    /// <summary>The pass whose new storages may be recycled on this thread (0: none).</summary>
    internal static long RecyclingPass => t_recycling;

    [ThreadStatic] private static bool t_addingIntoGrad;   // this pass accumulates into Grad without createGraph
    [ThreadStatic] private static List<(Tensor? X, Tensor G, Tensor Grad)>? t_weightGradients;   // queued; one list per thread
    [ThreadStatic] private static PassScratch? t_scratch;

    /// <summary>
    /// Whether Linear's rule may hand over its weight gradient for <paramref name="leaf"/> as the product gᵀ·x, to be
    /// added into leaf.Grad by one GEMM (beta 1) once every node has run, instead of as a new tensor the engine then
    /// adds: true when this pass accumulates into Grad, no hook would see the sum, and Grad is a plain contiguous
    /// tensor of the leaf's shape. The weight gradient then never exists on its own, which saves a pass over memory.
    /// </summary>
    internal static bool AddsIntoGrad(Tensor leaf) =>
        t_addingIntoGrad && leaf.gradFn is null && leaf.leafHooks is null or { Count: 0 }
        && leaf.Grad is { gradFn: null, IsContiguous: true } grad && grad.DType == leaf.DType && grad.Device == leaf.Device
        && Shapes.Equal(grad.shape, leaf.shape);

    /// <summary>Queues Grad += gᵀ·x (see <see cref="AddsIntoGrad"/>); g stays out of recycling until it is added.</summary>
    internal static void AddWeightGradientLater(Tensor x, Tensor g, Tensor grad)
    {
        Hold(g);
        (t_weightGradients ??= []).Add((x, g, grad));
    }

    /// <summary>
    /// Queues Grad += <paramref name="g"/>, a weight gradient a rule computed itself, to be added where
    /// <see cref="AddWeightGradientLater"/> adds its products, so it rounds the same as the rule that queues one.
    /// </summary>
    internal static void AddIntoGradLater(Tensor g, Tensor grad)
    {
        Hold(g);
        (t_weightGradients ??= []).Add((null, g, grad));
    }

    /// <summary>
    /// Whether a node's rule may overwrite its upstream gradient <paramref name="g"/>: it was made in this pass and only
    /// the node's own slot holds its storage, which the engine drops once the rule returns; a gradient that a hook,
    /// a caller or a custom function saw never qualifies.
    /// </summary>
    internal static bool MayOverwrite(Tensor g) =>
        t_recycling != 0 && g.storage.pass == t_recycling && g.storage.engineRefs == 1;

    /// <summary>
    /// Backpropagates <paramref name="rootGrads"/> from <paramref name="roots"/>. With <paramref name="inputs"/>,
    /// returns the gradients reaching them and leaves Grad untouched; otherwise accumulates into the leaves' Grad.
    /// </summary>
    public static Tensor?[]? Run(Tensor[] roots, Tensor[] rootGrads, Tensor[]? inputs, bool retainGraph, bool createGraph)
    {
        int pass = ++t_pass;
        var scratch = t_scratch ?? new PassScratch();
        t_scratch = null;   // a pass run from a hook during this one makes its own
        var (visited, touchedLeaves, ready) = (scratch.Visited, scratch.TouchedLeaves, scratch.Ready);
        using var mode = Autograd.SetGradEnabled(createGraph);
        long outerRecycling = t_recycling;
        bool outerAdding = t_addingIntoGrad;
        int queuedBefore = t_weightGradients?.Count ?? 0;   // a pass run from a hook queues after its caller's entries
        // with createGraph the gradients join a graph the caller keeps; Viz.Trace summarizes them as they pass
        t_recycling = createGraph || TensorTrace.IsActive || RecyclingOff ? 0 : Interlocked.Increment(ref s_recyclingPasses);
        try
        {
            Discover(roots, pass, visited, scratch.Discovering);
            t_addingIntoGrad = inputs is null && t_recycling != 0;
            if (inputs is not null)
                foreach (var t in inputs) if (t.gradFn is { } n) n.capture = true;

            for (int i = 0; i < roots.Length; i++)
            {
                if (roots[i].gradFn is { } n)
                {
                    n.gradSum = Accumulate(n.gradSum, rootGrads[i]);
                    if (n.deps == 0) { n.deps = -1; ready.Push(n); }  // -1: queued once even if it is a root twice
                }
                else AddToLeaf(roots[i], rootGrads[i], touchedLeaves);
            }
            while (ready.Count > 0) RunNode(ready.Pop(), ready, touchedLeaves);

            foreach (var leaf in touchedLeaves)
                if (leaf.leafHooks is not null) leaf.pendingGrad = Escape(RunHooks(leaf.leafHooks, Escape(leaf.pendingGrad!)));

            Tensor?[]? results = null;
            if (inputs is not null)
            {
                results = new Tensor?[inputs.Length];
                for (int i = 0; i < inputs.Length; i++)
                    results[i] = inputs[i].gradFn is { } n ? n.captured : inputs[i].pendingGrad;
            }
            else
            {
                for (int i = queuedBefore; i < (t_weightGradients?.Count ?? 0); i++)
                {
                    var (x, g, grad) = t_weightGradients![i];
                    if (x is not null) grad.Backend.AddLinearWeightGradient(x, g, grad);
                    else if (!TryAddInPlace(grad, g)) grad.Copy_(grad + g);
                    Drop(g);
                }
                foreach (var leaf in touchedLeaves)
                {
                    var g = leaf.pendingGrad!;
                    if (createGraph) leaf.Grad = leaf.Grad is null ? g : leaf.Grad + g;
                    else if (leaf.Grad is null) leaf.Grad = g.Contiguous().Detach();
                    else if (!TryAddInPlace(leaf.Grad, g)) leaf.Grad += g;
                }
            }
            if (!retainGraph) foreach (var n in visited) n.Release();
            return results;
        }
        finally
        {
            t_recycling = outerRecycling;
            t_addingIntoGrad = outerAdding;
            // added, or dropped unadded when the pass failed: Grad is then as it was
            t_weightGradients?.RemoveRange(queuedBefore, t_weightGradients.Count - queuedBefore);
            foreach (var n in visited) { n.gradSum = n.captured = null; n.deps = 0; n.capture = false; }
            foreach (var leaf in touchedLeaves) leaf.pendingGrad = null;
            scratch.Clear();
            t_scratch = scratch;
        }
    }

    /// <summary>The collections a pass works in, kept per thread for the next pass so a step allocates none of them.</summary>
    private sealed class PassScratch
    {
        public readonly List<Node> Visited = [];
        public readonly List<Tensor> TouchedLeaves = [];
        public readonly Stack<Node> Ready = new(), Discovering = new();

        public void Clear()
        {
            Visited.Clear();
            TouchedLeaves.Clear();
            Ready.Clear();
            Discovering.Clear();
        }
    }

    // Without createGraph a second backward pass adds into the existing Grad, as PyTorch does, so a loop that
    // zeroes gradients instead of dropping them reuses their memory every step.
    private static bool TryAddInPlace(Tensor grad, Tensor g)
    {
        if (grad.Device.Type != DeviceType.Cpu || grad.DType != g.DType || grad.gradFn is not null || !grad.IsContiguous || !g.IsContiguous)
            return false;
        switch (grad.DType)
        {
            case DType.Float32: TensorPrimitives.Add(grad.AsSpan<float>(), g.AsSpan<float>(), grad.AsSpan<float>()); break;
            case DType.Float64: TensorPrimitives.Add(grad.AsSpan<double>(), g.AsSpan<double>(), grad.AsSpan<double>()); break;
            default: return false;
        }
        grad.BumpVersion();
        return true;
    }

    private static void Discover(Tensor[] roots, int pass, List<Node> visited, Stack<Node> stack)
    {
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
            if (n.hooks is not null) g = Escape(RunHooks(n.hooks, Escape(g)));
            if (n.capture) n.captured = Escape(g);
            if (n.opaque) Escape(g);
            if (PairedProducer(n) is { } producer && n.ApplyWithProducer(g) is { } pair)
            {
                // the producer's gradients go straight to its inputs; it still runs, with no gradient, to count them down
                Validate(producer, pair.Producer);
                Send(producer, pair.Producer, null, touchedLeaves);
                grads = pair.Own;
            }
            else grads = n.Apply(g);
            Validate(n, grads);
            if (n.opaque) foreach (var gi in grads) if (gi is not null) Escape(gi);  // user code may have kept them
        }
        Send(n, grads, ready, touchedLeaves);
        if (g is not null) Drop(g);
    }

    /// <summary>
    /// n's producer, when n may run both rules (<see cref="Node.ApplyWithProducer"/>): n is its only consumer, so its
    /// gradient would be n's alone, and no hook, capture, user code or createGraph would see that gradient, nor the
    /// gradient of a node between them.
    /// </summary>
    private static Node? PairedProducer(Node n) =>
        n.PairablePath is ({ } p, var between) && Unseen(p) && (between is null || Unseen(between))
        && t_recycling != 0 ? p : null;   // the thread-static read last: most nodes have no pair

    // a node with one consumer still to send it a gradient, which no hook, capture or custom function would see
    private static bool Unseen(Node p) =>
        p is { deps: 1, gradSum: null, capture: false, opaque: false, released: false } && p.hooks is null or { Count: 0 };

    /// <summary>
    /// Hands each of n's input gradients to its node or leaf and, given <paramref name="ready"/>, counts each input
    /// node down, queueing the ones that have now heard from all their consumers.
    /// </summary>
    private static void Send(Node n, Tensor?[]? grads, Stack<Node>? ready, List<Tensor> touchedLeaves)
    {
        if (grads is not null) foreach (var gi in grads) if (gi is not null) Hold(gi);  // so an output aliasing another is not freed mid-loop
        for (int i = 0; i < n.edges.Length; i++)
        {
            var e = n.edges[i];
            var gi = grads?[i];
            if (e.Node is { } c)
            {
                if (gi is not null) c.gradSum = Accumulate(c.gradSum, gi);
                if (ready is not null && --c.deps == 0) ready.Push(c);
            }
            else if (e.Leaf is { } leaf && gi is not null) AddToLeaf(leaf, gi, touchedLeaves);
        }
        if (grads is not null) foreach (var gi in grads) if (gi is not null) Drop(gi);
    }

    private static void AddToLeaf(Tensor leaf, Tensor g, List<Tensor> touchedLeaves)
    {
        if (leaf.pendingGrad is null) touchedLeaves.Add(leaf);
        leaf.pendingGrad = Accumulate(leaf.pendingGrad, g);  // a leaf's slot is never dropped: it becomes Grad
    }

    // puts g into a gradient slot that held sum (or nothing), counting the slot's hold on the storage
    private static Tensor Accumulate(Tensor? sum, Tensor g)
    {
        if (sum is null) { Hold(g); return g; }
        var total = sum + g;
        Hold(total);
        Drop(sum);
        return total;
    }

    private static void Hold(Tensor t)
    {
        if (t_recycling != 0 && t.storage.pass == t_recycling) t.storage.engineRefs++;
    }

    private static void Drop(Tensor t)
    {
        var s = t.storage;
        if (t_recycling == 0 || s.pass != t_recycling || --s.engineRefs > 0) return;
        s.pass = 0;  // recycled once only
        s.Release();
    }

    // a tensor that code outside the engine saw may be kept there, so it is never recycled
    private static Tensor Escape(Tensor t)
    {
        t.storage.pass = 0;
        return t;
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
