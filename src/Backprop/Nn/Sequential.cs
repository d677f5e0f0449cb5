namespace Backprop.Nn;

/// <summary>
/// Modules applied one after another (torch.nn.Sequential), named "0", "1", ... in the state dict. The layers are
/// the module's children, so a layer replaced in the tree (a BatchNorm made synchronized) is the one that runs.
/// </summary>
public sealed class Sequential : Module
{
    /// <summary>Chains <paramref name="layers"/> in order.</summary>
    public Sequential(params Module[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    /// <summary>Appends a layer and returns this sequence.</summary>
    public Sequential Add(Module layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.InputCount != 1)
            throw new ArgumentException($"Sequential: layer {ChildCount} ({layer.GetType().Name}) takes " +
                $"{layer.InputCount} inputs; a sequence passes one tensor along");
        RegisterModule(ChildCount.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);
        return this;
    }

    /// <summary>The layer at <paramref name="index"/>.</summary>
    public Module this[int index] => ChildAt(index);

    /// <summary>How many layers there are.</summary>
    public int Count => ChildCount;

    /// <summary>
    /// Applies the layers in order; a <see cref="Linear"/> or <see cref="Conv2d"/> followed by a <see cref="ReLU"/>
    /// runs as one <see cref="F.LinearRelu"/> or <see cref="F.Conv2dRelu"/> (the same values and gradients, with no
    /// pre-activation stored), since nothing outside the sequence can see the tensor between them (unless a hook on
    /// either layer would: then they run apart). Each layer runs through <see cref="Module.Call"/>, with its hooks.
    /// </summary>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < ChildCount; i++)
        {
            var layer = ChildAt(i);
            bool reluNext = i + 1 < ChildCount && ChildAt(i + 1) is ReLU { HasHooks: false } && !layer.HasHooks;
            if (reluNext && layer is Linear linear)
                x = F.LinearRelu(x, linear.Weight, linear.Bias);
            else if (reluNext && layer is Conv2d conv)
                x = F.Conv2dRelu(x, conv.Weight, conv.Bias, conv.Stride, conv.Padding, conv.Dilation, conv.Groups);
            else
            {
                x = layer.Call(x);
                continue;
            }
            i++;   // the ReLU is done
        }
        return x;
    }
}
