using Backprop.Kernels;

namespace Backprop;

/// <summary>
/// An n-dimensional array of Float32, Float64, Int64 or Bool elements: a shape, strides and an offset over
/// storage that its views share. Floating-point tensors can record the ops applied to them so that
/// <see cref="Backward(Tensor?, bool, bool)"/> computes gradients by the chain rule.
/// </summary>
public sealed partial class Tensor
{
    internal Storage storage;         // replaced only by SetData_, when a module moves its parameters
    internal readonly int[] shape;    // never mutated after construction, so tensors may share it
    internal int[] strides;
    internal int offset;
    private readonly int _numel;     // asked for by every op and kernel: counted once
    private bool _contiguous;
    internal Node? gradFn;
    private bool _requiresGrad;
    private Tensor? _grad;
    internal List<Func<Tensor, Tensor?>>? leafHooks;
    internal Tensor? pendingGrad;    // the backward engine's running sum for this leaf

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset)
    {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        _numel = Shapes.Numel(shape);
        _contiguous = Shapes.IsContiguous(shape, strides);
    }

    /// <summary>A new contiguous, zero-filled tensor.</summary>
    internal static Tensor Empty(int[] shape, DType dtype, Device device) =>
        new(device.Backend.Allocate(dtype, Shapes.Numel(shape)), shape, Shapes.ContiguousStrides(shape), 0);

    /// <summary>A new contiguous tensor with unspecified contents, for an output its kernel writes whole.</summary>
    internal static Tensor Uninitialized(int[] shape, DType dtype, Device device) =>
        new(device.Backend.AllocateUninitialized(dtype, Shapes.Numel(shape)), shape,
            Shapes.ContiguousStrides(shape), 0);

    /// <summary>The sizes of the dimensions (a copy).</summary>
    public int[] Shape => (int[])shape.Clone();

    /// <summary>The step in elements between neighbours along each dimension (a copy).</summary>
    public int[] Strides => (int[])strides.Clone();

    /// <summary>Index of the first element in the storage.</summary>
    public int Offset => offset;

    /// <summary>Number of dimensions (0 for a scalar tensor).</summary>
    public int NDim => shape.Length;

    /// <summary>Number of elements.</summary>
    public int Numel => _numel;

    /// <summary>The size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => shape[Shapes.NormalizeDim("Size", dim, shape.Length, shape)];

    /// <summary>The element type.</summary>
    public DType DType => storage.DType;

    /// <summary>Where the storage lives.</summary>
    public Device Device => storage.Device;

    /// <summary>The storage shared with this tensor's views.</summary>
    public Storage Storage => storage;

    /// <summary>
    /// How many in-place writes this tensor's storage has had (PyTorch's <c>_version</c>), counted once for the tensor
    /// and all its views. A recorded op notes it for each tensor its gradient rule reads; the backward pass refuses
    /// to run that rule once the count has changed, instead of computing the gradient from overwritten values.
    /// </summary>
    public int Version => storage.version;

    /// <summary>Counts an in-place write of this tensor's storage (see <see cref="Version"/>).</summary>
    internal void BumpVersion() => storage.version++;

    /// <summary>True when the elements are laid out row-major without gaps.</summary>
    public bool IsContiguous => _contiguous;

    internal IBackend Backend => storage.Device.Backend;

    /// <summary>The node that computed this tensor, or null for a leaf.</summary>
    public Node? GradFn => gradFn;

    /// <summary>True for a tensor that no recorded op produced (user-created, or detached).</summary>
    public bool IsLeaf => gradFn is null;

    /// <summary>
    /// Whether gradients flow to this tensor. Settable on leaves only; Int64 and Bool tensors refuse it.
    /// Results of ops on tensors that require grad require grad themselves.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (value == _requiresGrad) return;
            if (gradFn is not null)
                throw new InvalidOperationException($"RequiresGrad: can only be changed on a leaf tensor; this one " +
                    $"was produced by {gradFn.Name} (use Detach())");
            if (value && !DType.IsFloatingPoint())
                throw new InvalidOperationException($"RequiresGrad: only floating-point tensors can require grad; " +
                    $"this tensor is {DType} with shape {Shapes.Format(shape)}");
            if (value) TensorScope.Escape(storage);  // a leaf that is trained outlives any step's scope
            _requiresGrad = value;
        }
    }

    /// <summary>
    /// The gradient accumulated by backward passes into this leaf (null until the first one). Later passes without
    /// createGraph add into it in place, as PyTorch does, so a copy taken earlier must be cloned. Set it to null to
    /// clear it, or zero it in place to keep its memory.
    /// </summary>
    public Tensor? Grad
    {
        get => _grad;
        set
        {
            if (value is not null && (!Shapes.Equal(value.shape, shape) || value.DType != DType))
                throw new ArgumentException($"Grad: a gradient of shape {Shapes.Format(value.shape)} ({value.DType}) " +
                    $"does not fit a tensor of shape {Shapes.Format(shape)} ({DType})");
            if (value is not null) TensorScope.Escape(value.storage);  // gradients are accumulated across steps
            _grad = value;
        }
    }

    internal void SetGradFn(Node node)
    {
        gradFn = node;
        _requiresGrad = true;
        Autograd.RecordObserver?.Invoke(this, node);
    }

    /// <summary>A tensor sharing this one's storage with no history: gradients do not flow through it.</summary>
    public Tensor Detach() => new(storage, shape, strides, offset);

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for chaining.</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>
    /// The elements in row-major order, converted to <typeparamref name="T"/> (float, double, long or bool; a number
    /// converts to true where it is nonzero, true to 1).
    /// </summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var x = DTypeExtensions.Of<T>() == DType ? this : To(DTypeExtensions.Of<T>()).Detach();
        if (typeof(T) != typeof(bool)) return x.Backend.ToArray<T>(x);
        // Bool storage holds the bytes 0 and 1
        return (T[])(object)Array.ConvertAll(x.Backend.ToArray<byte>(x), b => b != 0);
    }

    /// <summary>The single element of a one-element tensor.</summary>
    public T Item<T>() where T : unmanaged
    {
        if (Numel != 1)
            throw new InvalidOperationException($"Item: the tensor has shape {Shapes.Format(shape)} ({Numel} " +
                "elements); Item needs exactly one");
        return ToArray<T>()[0];
    }

    /// <summary>The single element of a one-element tensor as a double.</summary>
    public double Item() => Item<double>();
}
