namespace Backprop;

/// <summary>Grad mode, anomaly detection and gradients of outputs with respect to chosen inputs
/// (torch.autograd).</summary>
public static class Autograd
{
    [Flags]
    private enum Modes { None = 0, GradDisabled = 1, Anomaly = 2 }

    // the modes flow with the async context, as a using block does: a NoGrad scope holds across an await
    private static readonly AsyncLocal<Modes> s_modes = new();

    /// <summary>
    /// Called as each recorded op's output gets its node, while something observes the graph as it is built
    /// (<see cref="Viz.Trace"/>); the engine never sees it.
    /// </summary>
    internal static Action<Tensor, Node>? RecordObserver;

    /// <summary>True unless the calling code is inside a <see cref="NoGrad"/> scope.</summary>
    public static bool IsGradEnabled => (s_modes.Value & Modes.GradDisabled) == 0;

    /// <summary>True inside a <see cref="DetectAnomaly"/> scope.</summary>
    public static bool IsAnomalyEnabled => (s_modes.Value & Modes.Anomaly) != 0;

    /// <summary>A scope in which ops record no graph: results do not require grad.</summary>
    public static IDisposable NoGrad() => SetGradEnabled(false);

    /// <summary>A scope in which ops record the graph again, e.g. inside <see cref="NoGrad"/>.</summary>
    public static IDisposable EnableGrad() => SetGradEnabled(true);

    /// <summary>
    /// A scope in which every op remembers the stack trace where it was created, and the first backward rule that
    /// produces NaN or Inf stops the pass with an error naming the op and that trace.
    /// </summary>
    public static IDisposable DetectAnomaly() => Enter(s_modes.Value | Modes.Anomaly);

    internal static IDisposable SetGradEnabled(bool enabled) =>
        Enter(enabled ? s_modes.Value & ~Modes.GradDisabled : s_modes.Value | Modes.GradDisabled);

    private static Scope Enter(Modes modes)
    {
        var scope = new Scope(s_modes.Value);
        s_modes.Value = modes;
        return scope;
    }

    /// <summary>True when an op on <paramref name="x"/> should be recorded.</summary>
    internal static bool ShouldRecord(Tensor x) => x.RequiresGrad && IsGradEnabled;

    internal static bool ShouldRecord(Tensor a, Tensor b) => (a.RequiresGrad || b.RequiresGrad) && IsGradEnabled;

    /// <summary>
    /// The gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, weighted by
    /// <paramref name="gradOutputs"/> (ones for one-element outputs), without touching any Grad property.
    /// With <paramref name="createGraph"/> the returned gradients are themselves differentiable (grad of grad).
    /// </summary>
    public static Tensor?[] Grad(Tensor[] outputs, Tensor[] inputs, Tensor?[]? gradOutputs = null,
        bool? retainGraph = null, bool createGraph = false, bool allowUnused = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        for (int i = 0; i < inputs.Length; i++)
            if (!inputs[i].RequiresGrad)
                throw new ArgumentException($"Grad: input {i} (shape {Shapes.Format(inputs[i].shape)}) does not " +
                    "require grad");
        var grads = RootGradients("Grad", outputs, gradOutputs);
        var results = Engine.Run(outputs, grads, inputs, retainGraph ?? createGraph, createGraph)!;
        if (!allowUnused)
            for (int i = 0; i < results.Length; i++)
                if (results[i] is null)
                    throw new InvalidOperationException($"Grad: input {i} (shape {Shapes.Format(inputs[i].shape)}) " +
                        "is not used in the graph of the outputs; pass allowUnused: true to get null for it");
        return results;
    }

    /// <summary>Checks outputs and their upstream gradients, filling in ones for one-element outputs.</summary>
    internal static Tensor[] RootGradients(string op, Tensor[] outputs, Tensor?[]? gradOutputs)
    {
        if (gradOutputs is not null && gradOutputs.Length != outputs.Length)
            throw new ArgumentException($"{op}: {gradOutputs.Length} gradients given for {outputs.Length} outputs");
        var grads = new Tensor[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            var y = outputs[i];
            if (!y.RequiresGrad)
                throw new InvalidOperationException($"{op}: output {i} (shape {Shapes.Format(y.shape)}) does not " +
                    "require grad and has no GradFn");
            var g = gradOutputs?[i];
            if (g is null)
            {
                if (y.Numel != 1)
                    throw new InvalidOperationException(
                        $"{op}: output {i} has shape {Shapes.Format(y.shape)}; a gradient can be implied only for a " +
                        $"one-element output. Pass a gradient of shape {Shapes.Format(y.shape)}");
                g = Tensor.OnesLike(y);
            }
            else if (!Shapes.Equal(g.shape, y.shape) || g.DType != y.DType)
                throw new ArgumentException($"{op}: the gradient has shape {Shapes.Format(g.shape)} ({g.DType}) but " +
                    $"output {i} has shape {Shapes.Format(y.shape)} ({y.DType})");
            grads[i] = g;
        }
        return grads;
    }

    private sealed class Scope(Modes saved) : IDisposable
    {
        public void Dispose() => s_modes.Value = saved;
    }
}
