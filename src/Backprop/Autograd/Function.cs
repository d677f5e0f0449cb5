namespace Backprop;

/// <summary>What a custom <see cref="Function"/> keeps between its forward and backward passes.</summary>
public sealed class FunctionContext
{
    private Tensor[] _saved = [];

    internal FunctionContext(bool[] needsInputGrad) => NeedsInputGrad = needsInputGrad;

    /// <summary>For each input, whether the backward pass must produce its gradient.</summary>
    public IReadOnlyList<bool> NeedsInputGrad { get; }

    /// <summary>Tensors saved by <see cref="SaveForBackward"/>.</summary>
    public IReadOnlyList<Tensor> SavedTensors => _saved;

    // what the node records with their versions, so a write into one before the backward pass is caught
    internal Tensor[] Saved => _saved;

    /// <summary>Any other state the function wants in its backward pass (shapes, constants).</summary>
    public object? State { get; set; }

    /// <summary>
    /// Keeps tensors for the backward pass. As in PyTorch, the backward pass refuses to run when one of them was
    /// written in place after the forward pass (its <see cref="Tensor.Version"/> changed).
    /// </summary>
    public void SaveForBackward(params Tensor[] tensors) => _saved = (Tensor[])tensors.Clone();
}

/// <summary>
/// A user-defined differentiable op, as torch.autograd.Function: derive, write <see cref="Forward"/> (run
/// without recording) and <see cref="Backward"/> (gradient of each input from the gradient of the output),
/// then call <see cref="Apply"/>. A backward written with tensor ops can itself be differentiated.
/// </summary>
public abstract class Function
{
    /// <summary>The name shown in errors and graphs; the class name by default.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Computes the output from the inputs; ops here are not recorded.</summary>
    protected abstract Tensor Forward(FunctionContext ctx, Tensor[] inputs);

    /// <summary>Returns one gradient per input (null for inputs without one), each of that input's shape.</summary>
    protected abstract Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput);

    /// <summary>Runs the function and records it in the graph when an input requires grad.</summary>
    public Tensor Apply(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var needs = new bool[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) needs[i] = inputs[i].RequiresGrad;
        var ctx = new FunctionContext(needs);
        Tensor output;
        using (Autograd.NoGrad()) output = Forward(ctx, inputs);
        var inputsCopy = (Tensor[])inputs.Clone();
        // a fresh tensor object, so recording never rewires an input the forward returned as is
        return Op.Record(Name, output.Detach(), inputsCopy, g => Backward(ctx, g), saved: ctx.Saved);
    }
}
