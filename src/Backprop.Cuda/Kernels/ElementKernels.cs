using ILGPU;

namespace Backprop.Cuda.Kernels;

/// <summary>Elementwise kernels: one thread per element of the (contiguous unless stated) output.</summary>
internal static class ElementKernels
{
    public static void Fill<T>(Index1D i, ArrayView<T> y, T value) where T : unmanaged => y[i] = value;

    /// <summary>dst[at] = src[at] for two strided layouts of one shape.</summary>
    public static void Copy<T>(Index1D i, ArrayView<T> src, ArrayView<T> dst, Dims shape, Operand s, Operand d)
        where T : unmanaged =>
        dst[d.At(i, shape)] = src[s.At(i, shape)];

    /// <summary>dst = src converted element by element through double (exact for every pair but long → float, rounded
    /// twice).</summary>
    public static void Convert<TFrom, TTo, AFrom, ATo>(Index1D i, ArrayView<TFrom> src, ArrayView<TTo> dst, Dims shape,
        Operand s, Operand d)
        where TFrom : unmanaged where TTo : unmanaged
        where AFrom : struct, IArith<TFrom> where ATo : struct, IArith<TTo> =>
        dst[d.At(i, shape)] = default(ATo).FromDouble(default(AFrom).ToDouble(src[s.At(i, shape)]));

    public static void Unary<T, A>(Index1D i, ArrayView<T> x, ArrayView<T> y, Dims shape, Operand xo, int op, T p, T q)
        where T : unmanaged where A : struct, IArith<T> =>
        y[i] = default(A).Unary(op, x[xo.At(i, shape)], p, q);

    public static void Binary<T, A>(Index1D i, ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, Dims shape, Operand ao,
        Operand bo, int op)
        where T : unmanaged where A : struct, IArith<T> =>
        y[i] = default(A).Binary(op, a[ao.At(i, shape)], b[bo.At(i, shape)]);

    /// <summary>y = comparison op of a and b, into a Bool output (1 or 0).</summary>
    public static void Compare<T, A>(Index1D i, ArrayView<T> a, ArrayView<T> b, ArrayView<byte> y, Dims shape,
        Operand ao, Operand bo, int op) where T : unmanaged where A : struct, IArith<T> =>
        y[i] = default(A).Compare(op, a[ao.At(i, shape)], b[bo.At(i, shape)]) ? (byte)1 : (byte)0;

    /// <summary>y = a where the Bool cond is true, else b.</summary>
    public static void Where<T>(Index1D i, ArrayView<byte> cond, ArrayView<T> a, ArrayView<T> b, ArrayView<T> y,
        Dims shape, Operand co, Operand ao, Operand bo) where T : unmanaged =>
        y[i] = cond[co.At(i, shape)] != 0 ? a[ao.At(i, shape)] : b[bo.At(i, shape)];

    /// <summary>y[i] = x[i with dim replaced by index[i]]; xo has a zero stride along dim.</summary>
    public static void Gather<T>(Index1D i, ArrayView<T> x, ArrayView<long> index, ArrayView<T> y, Dims shape,
        Operand xo, Operand io, int dimStride)
        where T : unmanaged =>
        y[i] = x[xo.At(i, shape) + (int)index[io.At(i, shape)] * dimStride];

    /// <summary>y[i with dim replaced by index[i]] += src[i], atomically since indices may repeat.</summary>
    public static void ScatterAdd<T, A>(Index1D i, ArrayView<T> y, ArrayView<long> index, ArrayView<T> src, Dims shape,
        Operand yo, Operand io, Operand so, int dimStride)
        where T : unmanaged where A : struct, IArith<T> =>
        default(A).AtomicAdd(y, yo.At(i, shape) + (int)index[io.At(i, shape)] * dimStride, src[so.At(i, shape)]);

    /// <summary>Records in first[0] the lowest position whose index lies outside [0, size).</summary>
    public static void FindOutOfRange(Index1D i, ArrayView<long> index, Dims shape, Operand io, long size,
        ArrayView<int> first)
    {
        long v = index[io.At(i, shape)];
        if (v < 0 || v >= size) Atomic.Min(ref first[0], i);
    }

    /// <summary>Sets flag[0] when an element is NaN or infinite.</summary>
    public static void FindNonFinite<T, A>(Index1D i, ArrayView<T> x, Dims shape, Operand xo, ArrayView<int> flag)
        where T : unmanaged where A : struct, IArith<T>
    {
        if (!default(A).IsFinite(x[xo.At(i, shape)])) flag[0] = 1;
    }
}
