namespace Backprop;

public sealed partial class Tensor
{
    /// <summary>
    /// This tensor on <paramref name="device"/> (itself when already there): a copy through host memory, the one
    /// place where host and device exchange data besides <see cref="ToArray{T}"/>. Differentiable: the gradient goes
    /// back to this tensor's device.
    /// </summary>
    public Tensor To(Device device)
    {
        if (device == Device) return this;
        var target = device.Backend;
        var storage = DType switch
        {
            DType.Float32 => target.FromArray<float>(Backend.ToArray<float>(this)),
            DType.Float64 => target.FromArray<double>(Backend.ToArray<double>(this)),
            DType.Int64 => target.FromArray<long>(Backend.ToArray<long>(this)),
            _ => target.FromArray<byte>(Backend.ToArray<byte>(this)),
        };
        var y = new Tensor(storage, shape, Shapes.ContiguousStrides(shape), 0);
        if (!DType.IsFloatingPoint()) return y;
        var from = Device;
        return Op.Record("To", y, this, g => g.To(from), saved: []);
    }

    /// <summary>
    /// Points this tensor at <paramref name="source"/>'s elements (PyTorch's <c>t.data = source</c>): the same object,
    /// so modules and optimizers that hold it see the new device or dtype. Records nothing.
    /// </summary>
    internal void SetData_(Tensor source)
    {
        if (!Shapes.Equal(source.shape, shape))
            throw new ArgumentException(
                $"SetData_: new data of shape {Shapes.Format(source.shape)} does not fit a tensor of shape " +
                    $"{Shapes.Format(shape)}");
        if (_requiresGrad && !source.DType.IsFloatingPoint())
            throw new ArgumentException($"SetData_: a tensor that requires grad cannot hold {source.DType} data");
        storage = source.storage;
        strides = source.strides;
        offset = source.offset;
        _contiguous = source._contiguous;
        TensorScope.Escape(storage);   // what is repointed is long-lived state (a parameter, a buffer)
    }
}
