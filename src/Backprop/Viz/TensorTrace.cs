using System.Runtime.CompilerServices;

namespace Backprop;

/// <summary>The norm, smallest and largest element of a tensor: what a diagram writes on a tensor wire.</summary>
internal readonly record struct TensorSummary(int Count, double Norm, double Min, double Max)
{
    public static TensorSummary Of(Tensor t)
    {
        // read the elements without ops, so summarizing never records a node (and never re-enters the trace)
        double[] values = t.DType switch
        {
            DType.Float32 => Array.ConvertAll(t.ToArray<float>(), v => (double)v),
            DType.Float64 => t.ToArray<double>(),
            _ => Array.ConvertAll(t.ToArray<long>(), v => (double)v),
        };
        double sumSquares = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in values) { sumSquares += v * v; min = Math.Min(min, v); max = Math.Max(max, v); }
        return new TensorSummary(values.Length, Math.Sqrt(sumSquares), min, max);
    }
}

/// <summary>What a trace remembers about the tensor one node produced: its forward value and its last
/// gradient.</summary>
internal sealed class TracedWire(TensorSummary value)
{
    public TensorSummary Value { get; } = value;
    public TensorSummary? Grad { get; set; }
}

/// <summary>
/// Records, while a <see cref="Viz.Trace"/> scope is open on the thread, a summary of every recorded op's output and
/// of the gradient that reaches it in backward passes. Why summaries and not tensors: a node does not keep its
/// output (that would keep every activation alive), so the trace keeps four numbers per wire instead, in a table
/// keyed weakly by node, which dies with the graph. It observes through <see cref="Autograd.RecordObserver"/>, set
/// when the first scope opens; until then an op pays one static read, after it one thread-static read.
/// </summary>
internal static class TensorTrace
{
    [ThreadStatic] private static int t_openScopes;
    private static readonly ConditionalWeakTable<Node, TracedWire> Wires = new();

    public static bool IsActive => t_openScopes > 0;

    /// <summary>Called as <paramref name="output"/> gets its node: summarizes it and hooks the node for its
    /// gradient.</summary>
    private static void Record(Tensor output, Node node)
    {
        if (!IsActive) return;
        var wire = new TracedWire(TensorSummary.Of(output));
        Wires.AddOrUpdate(node, wire);
        (node.hooks ??= []).Add(g => { wire.Grad = TensorSummary.Of(g); return null; });
    }

    /// <summary>The summaries recorded for <paramref name="node"/>'s output, or null if it was made outside a
    /// trace.</summary>
    public static TracedWire? Find(Node node) => Wires.TryGetValue(node, out var wire) ? wire : null;

    public static IDisposable Open()
    {
        Autograd.RecordObserver ??= Record;
        t_openScopes++;
        return new Scope();
    }

    private sealed class Scope : IDisposable
    {
        private bool _closed;

        public void Dispose()
        {
            if (_closed) return;
            _closed = true;
            t_openScopes--;
        }
    }
}
