using Backprop.Kernels;
using Backprop.Kernels.Cpu;

namespace Backprop;

// In-place writes, for optimizers and loading weights: they change storage that views and graphs may share,
// so they are refused on a recorded op's output, and each one bumps the storage's version so that a node which
// saved the old values refuses to compute a gradient from the new ones.
public sealed partial class Tensor
{
    /// <summary>
    /// Copies the values of <paramref name="source"/> (same shape; converted when its dtype differs) into this
    /// tensor's storage and returns this tensor. On a leaf that requires grad it must run inside
    /// <see cref="Autograd.NoGrad"/>, as in PyTorch; a tensor produced by a recorded op is refused. It bumps
    /// <see cref="Version"/>: the gradient rule of a recorded op that saved this tensor or a view of it then
    /// refuses to run.
    /// </summary>
    public Tensor Copy_(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        RequireWritable("Copy_");
        if (!Shapes.Equal(source.shape, shape))
            throw new ArgumentException($"Copy_: a source of shape {Shapes.Format(source.shape)} does not fit a " +
                $"tensor of shape {Shapes.Format(shape)}");
        if (source.Device != Device)
            throw new ArgumentException($"Copy_: the source is on {source.Device} but this tensor is on {Device}");
        var converted = source.DType == DType ? source : source.Detach().To(DType);
        BumpVersion();
        Backend.Copy(converted, this);
        return this;
    }

    /// <summary>Sets every element to zero in place and returns this tensor (same rules as
    /// <see cref="Copy_"/>).</summary>
    public Tensor Zero_()
    {
        RequireWritable("Zero_");
        BumpVersion();
        if (IsContiguous) Backend.Fill(this, 0);
        else Backend.Copy(ZerosLike(this), this);
        return this;
    }

    /// <summary>this += g, this contiguous, of g's shape and dtype: a backward pass adding into Grad.</summary>
    internal void AddInPlace(Tensor g)
    {
        Backend.Binary(BinaryKernel.Add, this, g, this);
        BumpVersion();
    }

    private void RequireWritable(string op)
    {
        if (gradFn is not null)
            throw new InvalidOperationException($"{op}: this tensor (shape {Shapes.Format(shape)}) was produced " +
                $"by {gradFn.Name}; writing into it would corrupt the recorded graph (Detach() it first)");
        if (RequiresGrad && Autograd.IsGradEnabled)
            throw new InvalidOperationException($"{op}: a leaf tensor that requires grad " +
                $"(shape {Shapes.Format(shape)}) can be written in place only inside Autograd.NoGrad()");
    }

    /// <summary>
    /// The elements of a contiguous CPU tensor as a writable span over its storage: the fused loops of optimizers
    /// and loaders work on it directly, with no graph and no allocation. A caller that writes through it into a
    /// tensor others may hold calls <see cref="BumpVersion"/> once for the write.
    /// </summary>
    internal Span<T> AsSpan<T>() where T : unmanaged
    {
        if (Device != Device.Cpu) throw new NotSupportedException($"AsSpan: the tensor is on {Device}; span access " +
            "needs a CPU tensor");
        if (!IsContiguous) throw new InvalidOperationException($"AsSpan: the tensor of shape {Shapes.Format(shape)} " +
            $"with strides {Shapes.Format(strides)} is not contiguous");
        if (DTypeExtensions.Of<T>() != DType) throw new InvalidOperationException($"AsSpan: the tensor is {DType}, " +
            $"not {typeof(T).Name}");
        return CpuBackend.Data<T>(this).AsSpan(offset, Numel);
    }
}
