namespace Backprop;

/// <summary>Grad mode, anomaly detection and gradients of outputs with respect to chosen inputs (torch.autograd).</summary>
public static class Autograd
{
    [ThreadStatic] private static bool t_gradDisabled;
    [ThreadStatic] private static bool t_anomaly;

    /// <summary>True unless the calling thread is inside a <see cref="NoGrad"/> scope.</summary>
    public static bool IsGradEnabled => !t_gradDisabled;

    /// <summary>True inside a <see cref="DetectAnomaly"/> scope on the calling thread.</summary>
    public static bool IsAnomalyEnabled => t_anomaly;

    /// <summary>A scope (for this thread) in which ops record no graph: results do not require grad.</summary>
    public static IDisposable NoGrad() => SetGradEnabled(false);

    /// <summary>A scope (for this thread) in which ops record the graph again, e.g. inside <see cref="NoGrad"/>.</summary>
    public static IDisposable EnableGrad() => SetGradEnabled(true);

    /// <summary>
    /// A scope (for this thread) in which every op remembers the stack trace where it was created, and the first
    /// backward rule that produces NaN or Inf stops the pass with an error naming the op and that trace.
    /// </summary>
    public static IDisposable DetectAnomaly()
    {
        var scope = new Scope(t_gradDisabled, t_anomaly);
        t_anomaly = true;
        return scope;
    }

    internal static IDisposable SetGradEnabled(bool enabled)
    {
        var scope = new Scope(t_gradDisabled, t_anomaly);
        t_gradDisabled = !enabled;
        return scope;
    }

    /// <summary>True when an op on <paramref name="x"/> should be recorded.</summary>
    internal static bool ShouldRecord(Tensor x) => !t_gradDisabled && x.RequiresGrad;

    internal static bool ShouldRecord(Tensor a, Tensor b) => !t_gradDisabled && (a.RequiresGrad || b.RequiresGrad);

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
                throw new ArgumentException($"Grad: input {i} (shape {Shapes.Format(inputs[i].shape)}) does not require grad");
        var grads = RootGradients("Grad", outputs, gradOutputs);
        var results = Engine.Run(outputs, grads, inputs, retainGraph ?? createGraph, createGraph)!;
        if (!allowUnused)
            for (int i = 0; i < results.Length; i++)
                if (results[i] is null)
                    throw new InvalidOperationException($"Grad: input {i} (shape {Shapes.Format(inputs[i].shape)}) is not used in the graph of the outputs; pass allowUnused: true to get null for it");
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
                throw new InvalidOperationException($"{op}: output {i} (shape {Shapes.Format(y.shape)}) does not require grad and has no GradFn");
            var g = gradOutputs?[i];
            if (g is null)
            {
                if (y.Numel != 1)
                    throw new InvalidOperationException(
                        $"{op}: output {i} has shape {Shapes.Format(y.shape)}; a gradient can be implied only for a one-element output. Pass a gradient of shape {Shapes.Format(y.shape)}");
                g = Tensor.OnesLike(y);
            }
            else if (!Shapes.Equal(g.shape, y.shape) || g.DType != y.DType)
                throw new ArgumentException($"{op}: the gradient has shape {Shapes.Format(g.shape)} ({g.DType}) but output {i} has shape {Shapes.Format(y.shape)} ({y.DType})");
            grads[i] = g;
        }
        return grads;
    }

    private sealed class Scope(bool gradDisabled, bool anomaly) : IDisposable
    {
        public void Dispose() { t_gradDisabled = gradDisabled; t_anomaly = anomaly; }
    }
}
