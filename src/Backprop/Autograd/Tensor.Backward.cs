namespace Backprop;

public sealed partial class Tensor
{
    /// <summary>
    /// Backpropagates from this tensor, accumulating ∂this/∂leaf (weighted by <paramref name="gradient"/>) into the
    /// Grad of every leaf that requires grad. Without a gradient the tensor must have one element.
    /// The graph is freed afterwards unless <paramref name="retainGraph"/>; <paramref name="createGraph"/> records
    /// the backward pass itself so that gradients can be differentiated again.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false)
    {
        var grads = Autograd.RootGradients("Backward", [this], [gradient]);
        Engine.Run([this], grads, null, retainGraph || createGraph, createGraph);
    }

    /// <summary>
    /// Calls <paramref name="hook"/> with this tensor's gradient whenever one is computed in a backward pass;
    /// a non-null return value replaces the gradient. Dispose the returned handle to remove the hook.
    /// </summary>
    public IDisposable RegisterHook(Func<Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!RequiresGrad)
            throw new InvalidOperationException($"RegisterHook: the tensor (shape {Shapes.Format(shape)}) does not " +
                "require grad, so it never receives a gradient");
        var list = gradFn is { } n ? n.hooks ??= [] : leafHooks ??= [];
        list.Add(hook);
        return new HookHandle(list, hook);
    }

    private sealed class HookHandle(List<Func<Tensor, Tensor?>> list, Func<Tensor, Tensor?> hook) : IDisposable
    {
        public void Dispose() => list.Remove(hook);
    }
}
