using System.Runtime.InteropServices;
using Backprop.Cuda.Kernels;
using Backprop.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Backprop.Cuda;

/// <summary>
/// Tensors in device memory of one ILGPU accelerator: a CUDA GPU in real use (matrix products through cuBLAS), or
/// ILGPU's CPU accelerator in tests (matrix products through a tiled kernel). Every kernel runs on the
/// accelerator's default stream, in order, so a block freed by one storage can serve the next without waiting;
/// data reaches the host only in <see cref="IBackend.ToArray{T}"/>. Each method keeps its tensor arguments alive
/// (GC.KeepAlive) until its kernels are launched: a storage's block returns to the pool when the storage is finalized,
/// and without that a storage whose view is being launched could be finalized, and its block reused, mid-call.
/// </summary>
public sealed partial class CudaBackend : IBackend
{
    // the kernels are the backend interface, implemented explicitly: a user of the CUDA package never calls them
    private IBackend Self => this;

    private readonly Accelerator _accelerator;
    private readonly KernelSet<float, FloatArith> _float;
    private readonly KernelSet<double, DoubleArith> _double;
    private readonly KernelSet<long, LongArith> _long;
    private readonly KernelSet<byte, BoolArith> _bool;   // Bool tensors hold bytes, 0 or 1, as on the CPU
    private readonly Dictionary<(DType, DType), Delegate> _convert = [];
    private readonly Lazy<Action<Index1D, ArrayView<long>, Dims, Operand, long, ArrayView<int>>> _findOutOfRange;
    private readonly Cublas? _cublas;

    internal CudaBackend(Accelerator accelerator, Device device, Cublas? cublas)
    {
        _accelerator = accelerator;
        Device = device;
        _cublas = cublas;
        Allocator = new CachingAllocator(accelerator);
        _float = new(accelerator);
        _double = new(accelerator);
        _long = new(accelerator);
        _bool = new(accelerator);
        _findOutOfRange = new(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, Dims, Operand,
            long, ArrayView<int>>(ElementKernels.FindOutOfRange));
    }

    /// <summary>The device this backend serves.</summary>
    public Device Device { get; }

    /// <summary>The accelerator's name as ILGPU reports it.</summary>
    public string Name => _accelerator.Name;

    /// <summary>True when matrix products go through cuBLAS (a real GPU), false on ILGPU's CPU accelerator.</summary>
    public bool UsesCublas => _cublas is not null;

    /// <summary>The caching allocator that holds this device's memory.</summary>
    public CachingAllocator Allocator { get; }

    /// <summary>Waits until every queued kernel has finished (for timing; results never need it).</summary>
    public void Synchronize() => _accelerator.Synchronize();

    private KernelSet<T, A> Set<T, A>() where T : unmanaged where A : struct, IArith<T> =>
        (KernelSet<T, A>)(typeof(T) == typeof(float) ? _float : typeof(T) == typeof(double) ? _double
            : typeof(T) == typeof(long) ? _long : (object)_bool);

    private static NotSupportedException NotForBool(string kernel) =>
        new($"{kernel}: not defined for Bool tensors; convert with To(DType.Int64) or To(DType.Float32)");

    internal static ArrayView<T> View<T>(Tensor t) where T : unmanaged => ((CudaStorage)t.storage).View<T>();

    private CudaStorage NewStorage(DType dtype, int length) => new(Allocator, Device, dtype, length);

    private Tensor NewTensor(int[] shape, DType dtype) =>
        new(NewStorage(dtype, Shapes.Numel(shape)), shape, Shapes.ContiguousStrides(shape), 0);

    /// <inheritdoc/>
    Storage IBackend.Allocate(DType dtype, int length)
    {
        var storage = NewStorage(dtype, length);
        if (length > 0) storage.Bytes.MemSetToZero(_accelerator.DefaultStream);
        return storage;
    }

    /// <inheritdoc/>
    Storage IBackend.AllocateUninitialized(DType dtype, int length) => NewStorage(dtype, length);

    /// <inheritdoc/>
    Storage IBackend.FromArray<T>(ReadOnlySpan<T> data)
    {
        var storage = NewStorage(DTypeExtensions.Of<T>(), data.Length);
        if (data.Length > 0) storage.View<T>().CopyFromCPU(ref MemoryMarshal.GetReference(data), data.Length);
        return storage;
    }

    /// <inheritdoc/>
    T[] IBackend.ToArray<T>(Tensor x)
    {
        try
        {
            var result = new T[x.Numel];
            if (result.Length == 0) return result;
            var contiguous = Contiguous(x);
            View<T>(contiguous).SubView(contiguous.offset, result.Length).CopyToCPU(ref result[0], result.Length);
            return result;
        }
        finally { GC.KeepAlive(x); }
    }

    /// <summary>x itself when contiguous, else a contiguous copy on the device.</summary>
    private Tensor Contiguous(Tensor x)
    {
        if (x.IsContiguous) return x;
        var copy = NewTensor(x.shape, x.DType);
        Self.Copy(x, copy);
        return copy;
    }

    private static ArrayView<T> Elements<T>(Tensor contiguous) where T : unmanaged =>
        View<T>(contiguous).SubView(contiguous.offset, contiguous.Numel);

    /// <inheritdoc/>
    void IBackend.Fill(Tensor y, double value)
    {
        try
        {
            if (y.Numel == 0) return;
            switch (y.DType)
            {
                case DType.Float32: _float.Fill.Value(y.Numel, Elements<float>(y), (float)value); break;
                case DType.Float64: _double.Fill.Value(y.Numel, Elements<double>(y), value); break;
                case DType.Int64: _long.Fill.Value(y.Numel, Elements<long>(y), (long)value); break;
                default: _bool.Fill.Value(y.Numel, Elements<byte>(y), value != 0 ? (byte)1 : (byte)0); break;
            }
        }
        finally { GC.KeepAlive(y); }
    }

    /// <inheritdoc/>
    void IBackend.Copy(Tensor src, Tensor dst)
    {
        try
        {
            switch (src.DType)
            {
                case DType.Float32: CopyOf(_float, src, dst); break;
                case DType.Float64: CopyOf(_double, src, dst); break;
                case DType.Int64: CopyOf(_long, src, dst); break;
                default: CopyOf(_bool, src, dst); break;
            }
        }
        finally { GC.KeepAlive(src); GC.KeepAlive(dst); }
    }

    private static void CopyOf<T, A>(KernelSet<T, A> k, Tensor src, Tensor dst)
        where T : unmanaged where A : struct, IArith<T>
    {
        if (dst.Numel == 0) return;
        var (shape, ops) = Layouts.Plan(dst.shape, [src.offset, dst.offset], src.strides, dst.strides);
        k.Copy.Value(dst.Numel, View<T>(src), View<T>(dst), shape, ops[0], ops[1]);
    }

    /// <inheritdoc/>
    void IBackend.Convert(Tensor src, Tensor dst)
    {
        try
        {
            if (dst.Numel == 0) return;
            var (shape, ops) = Layouts.Plan(dst.shape, [src.offset, dst.offset], src.strides, dst.strides);
            switch (src.DType)
            {
                case DType.Float32: ConvertFrom<float, FloatArith>(src, dst, shape, ops); break;
                case DType.Float64: ConvertFrom<double, DoubleArith>(src, dst, shape, ops); break;
                case DType.Int64: ConvertFrom<long, LongArith>(src, dst, shape, ops); break;
                default: ConvertFrom<byte, BoolArith>(src, dst, shape, ops); break;
            }
        }
        finally { GC.KeepAlive(src); GC.KeepAlive(dst); }
    }

    private void ConvertFrom<TFrom, AFrom>(Tensor src, Tensor dst, Dims shape, Operand[] ops)
        where TFrom : unmanaged where AFrom : struct, IArith<TFrom>
    {
        switch (dst.DType)
        {
            case DType.Float32: ConvertTo<TFrom, float, AFrom, FloatArith>(src, dst, shape, ops); break;
            case DType.Float64: ConvertTo<TFrom, double, AFrom, DoubleArith>(src, dst, shape, ops); break;
            case DType.Int64: ConvertTo<TFrom, long, AFrom, LongArith>(src, dst, shape, ops); break;
            default: ConvertTo<TFrom, byte, AFrom, BoolArith>(src, dst, shape, ops); break;
        }
    }

    private void ConvertTo<TFrom, TTo, AFrom, ATo>(Tensor src, Tensor dst, Dims shape, Operand[] ops)
        where TFrom : unmanaged where TTo : unmanaged
        where AFrom : struct, IArith<TFrom> where ATo : struct, IArith<TTo> =>
        ConvertKernel<TFrom, TTo, AFrom, ATo>(src.DType, dst.DType)(
            dst.Numel, View<TFrom>(src), View<TTo>(dst), shape, ops[0], ops[1]);

    private Action<Index1D, ArrayView<TFrom>, ArrayView<TTo>, Dims, Operand, Operand>
        ConvertKernel<TFrom, TTo, AFrom, ATo>(DType from, DType to)
        where TFrom : unmanaged where TTo : unmanaged
        where AFrom : struct, IArith<TFrom> where ATo : struct, IArith<TTo>
    {
        lock (_convert)
        {
            if (!_convert.TryGetValue((from, to), out var kernel))
                _convert[(from, to)] = kernel = _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TFrom>,
                    ArrayView<TTo>, Dims, Operand, Operand>(ElementKernels.Convert<TFrom, TTo, AFrom, ATo>);
            return (Action<Index1D, ArrayView<TFrom>, ArrayView<TTo>, Dims, Operand, Operand>)kernel;
        }
    }

    /// <inheritdoc/>
    void IBackend.Unary(UnaryKernel k, Tensor x, Tensor y, double p, double q)
    {
        try
        {
            OpTable.Require(k, y.DType);
            if (y.Numel == 0) return;
            var (shape, ops) = Layouts.Plan(y.shape, [x.offset], x.strides);
            switch (y.DType)
            {
                case DType.Float32: _float.Unary.Value(y.Numel, View<float>(x), View<float>(y), shape, ops[0], (int)k,
                    (float)p, (float)q); break;
                case DType.Float64: _double.Unary.Value(y.Numel, View<double>(x), View<double>(y), shape, ops[0],
                    (int)k, p, q); break;
                default: _long.Unary.Value(y.Numel, View<long>(x), View<long>(y), shape, ops[0], (int)k, (long)p,
                    (long)q); break;
            }
        }
        finally { GC.KeepAlive(x); GC.KeepAlive(y); }
    }

    /// <inheritdoc/>
    void IBackend.Binary(BinaryKernel k, Tensor a, Tensor b, Tensor y)
    {
        try
        {
            OpTable.Require(k, a.DType);
            if (y.Numel == 0) return;
            var (shape, ops) = Layouts.Plan(y.shape, [a.offset, b.offset], Broadcast(a, y), Broadcast(b, y));
            if (k.IsComparison())
            {
                // runs in the inputs' element type and writes Bool
                switch (a.DType)
                {
                    case DType.Float32: CompareOf(_float, k, a, b, y, shape, ops); break;
                    case DType.Float64: CompareOf(_double, k, a, b, y, shape, ops); break;
                    case DType.Int64: CompareOf(_long, k, a, b, y, shape, ops); break;
                    default: CompareOf(_bool, k, a, b, y, shape, ops); break;
                }
                return;
            }
            switch (y.DType)
            {
                case DType.Float32: BinaryOf(_float, k, a, b, y, shape, ops); break;
                case DType.Float64: BinaryOf(_double, k, a, b, y, shape, ops); break;
                case DType.Int64: BinaryOf(_long, k, a, b, y, shape, ops); break;
                default: BinaryOf(_bool, k, a, b, y, shape, ops); break;
            }
        }
        finally { GC.KeepAlive(a); GC.KeepAlive(b); GC.KeepAlive(y); }
    }

    private static void BinaryOf<T, A>(KernelSet<T, A> set, BinaryKernel k, Tensor a, Tensor b, Tensor y, Dims shape,
        Operand[] ops) where T : unmanaged where A : struct, IArith<T> =>
        set.Binary.Value(y.Numel, View<T>(a), View<T>(b), View<T>(y), shape, ops[0], ops[1], (int)k);

    private static void CompareOf<T, A>(KernelSet<T, A> set, BinaryKernel k, Tensor a, Tensor b, Tensor y, Dims shape,
        Operand[] ops) where T : unmanaged where A : struct, IArith<T> =>
        set.Compare.Value(y.Numel, View<T>(a), View<T>(b), View<byte>(y), shape, ops[0], ops[1], (int)k);

    /// <summary>x's strides as seen when broadcast to target's shape.</summary>
    private static int[] Broadcast(Tensor x, Tensor target) =>
        Shapes.Equal(x.shape, target.shape) ? x.strides : Shapes.BroadcastStrides(x.shape, x.strides, target.shape);

    /// <inheritdoc/>
    void IBackend.Where(Tensor cond, Tensor a, Tensor b, Tensor y)
    {
        try
        {
            if (y.Numel == 0) return;
            var (shape, ops) = Layouts.Plan(y.shape, [cond.offset, a.offset, b.offset], Broadcast(cond, y),
                Broadcast(a, y), Broadcast(b, y));
            switch (y.DType)
            {
                case DType.Float32: WhereOf(_float, cond, a, b, y, shape, ops); break;
                case DType.Float64: WhereOf(_double, cond, a, b, y, shape, ops); break;
                case DType.Int64: WhereOf(_long, cond, a, b, y, shape, ops); break;
                default: WhereOf(_bool, cond, a, b, y, shape, ops); break;
            }
        }
        finally { GC.KeepAlive(cond); GC.KeepAlive(a); GC.KeepAlive(b); GC.KeepAlive(y); }
    }

    private static void WhereOf<T, A>(KernelSet<T, A> set, Tensor cond, Tensor a, Tensor b, Tensor y, Dims shape,
        Operand[] ops) where T : unmanaged where A : struct, IArith<T> =>
        set.Where.Value(y.Numel, View<byte>(cond), View<T>(a), View<T>(b), View<T>(y), shape, ops[0], ops[1], ops[2]);

    /// <inheritdoc/>
    void IBackend.Reduce(ReduceKernel k, Tensor x, Tensor y)
    {
        try
        {
            OpTable.Require(k, y.DType);
            if (y.Numel == 0) return;
            x = Contiguous(x);
            int length = x.Numel / y.Numel;
            var config = RowConfig(y.Numel, length);
            switch (y.DType)
            {
                case DType.Float32: ReduceOf(_float, k, config, x, y, length); break;
                case DType.Float64: ReduceOf(_double, k, config, x, y, length); break;
                case DType.Int64: ReduceOf(_long, k, config, x, y, length); break;
                // Bool's max and min are any and all; its sums are counted in Int64 by the op
                default: ReduceOf(_bool, k, config, x, y, length); break;
            }
        }
        finally { GC.KeepAlive(x); GC.KeepAlive(y); }
    }

    private static void ReduceOf<T, A>(KernelSet<T, A> set, ReduceKernel k, KernelConfig config, Tensor x, Tensor y,
        int length) where T : unmanaged where A : struct, IArith<T> =>
        set.Reduce.Value(config, Elements<T>(x), Elements<T>(y), length, (int)k);

    /// <inheritdoc/>
    void IBackend.ArgReduce(bool max, Tensor x, Tensor y)
    {
        try
        {
            if (y.Numel == 0) return;
            x = Contiguous(x);
            int length = x.Numel / y.Numel;
            var config = RowConfig(y.Numel, length);
            switch (x.DType)
            {
                case DType.Float32: ArgReduceOf(_float, config, x, y, length, max); break;
                case DType.Float64: ArgReduceOf(_double, config, x, y, length, max); break;
                case DType.Int64: ArgReduceOf(_long, config, x, y, length, max); break;
                default: ArgReduceOf(_bool, config, x, y, length, max); break;
            }
        }
        finally { GC.KeepAlive(x); GC.KeepAlive(y); }
    }

    private static void ArgReduceOf<T, A>(KernelSet<T, A> set, KernelConfig config, Tensor x, Tensor y, int length,
        bool max) where T : unmanaged where A : struct, IArith<T> =>
        set.ArgReduce.Value(config, Elements<T>(x), Elements<long>(y), length, max ? 1 : 0);

    /// <summary>One group per row, of the power of two that covers the row, at most the kernel's shared-memory
    /// size.</summary>
    private KernelConfig RowConfig(int rows, int length)
    {
        int limit = Math.Min(ReduceKernels.MaxGroup, _accelerator.MaxNumThreadsPerGroup), group = 1;
        while (group < length && group * 2 <= limit) group *= 2;
        return new KernelConfig(rows, group);
    }
}
