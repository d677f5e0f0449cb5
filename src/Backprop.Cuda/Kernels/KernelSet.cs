using Backprop.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Backprop.Cuda.Kernels;

/// <summary>
/// The kernels of one element type (Bool's: bytes), compiled for one accelerator on first use (compiling takes a
/// moment, and most programs use few of them).
/// </summary>
internal sealed class KernelSet<T, A> where T : unmanaged where A : struct, IArith<T>
{
    public readonly Lazy<Action<Index1D, ArrayView<T>, T>> Fill;
    public readonly Lazy<Action<Index1D, ArrayView<T>, ArrayView<T>, Dims, Operand, Operand>> Copy;
    public readonly Lazy<Action<Index1D, ArrayView<T>, ArrayView<T>, Dims, Operand, int, T, T>> Unary;
    public readonly Lazy<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, Dims, Operand, Operand, int>> Binary;
    public readonly Lazy<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<byte>, Dims, Operand, Operand, int>>
        Compare;
    public readonly Lazy<Action<Index1D, ArrayView<byte>, ArrayView<T>, ArrayView<T>, ArrayView<T>, Dims, Operand,
        Operand, Operand>> Where;
    public readonly Lazy<Action<Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, Dims,
        Operand, Operand, int>> Gather;
    public readonly Lazy<Action<Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, Dims, Operand, Operand, Operand,
        int>> ScatterAdd;
    public readonly Lazy<Action<Index1D, ArrayView<T>, Dims, Operand, ArrayView<int>>> FindNonFinite;
    public readonly Lazy<Action<KernelConfig, ArrayView<T>, ArrayView<T>, int, int>> Reduce;
    public readonly Lazy<Action<KernelConfig, ArrayView<T>, ArrayView<long>, int, int>> ArgReduce;
    public readonly Lazy<Action<Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, ArrayView<T>, int>> CrossEntropy;
    public readonly Lazy<Action<Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
        int>> CrossEntropyBackward;
    public readonly Lazy<Action<Index1D, ArrayView<T>, Window2d, ArrayView<T>>> Im2Col;
    public readonly Lazy<Action<Index1D, ArrayView<T>, Window2d, ArrayView<T>>> Col2Im;
    public readonly Lazy<Action<Index1D, ArrayView<T>, Window2d, ArrayView<T>, ArrayView<long>>> MaxPool;
    public readonly Lazy<Action<Index1D, ArrayView<T>, Window2d, ArrayView<T>>> AvgPool;
    public readonly Lazy<Action<Index1D, ArrayView<T>, Window2d, ArrayView<T>>> AvgPoolBackward;
    public readonly Lazy<Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, MatMulShape>> MatMul;

    public KernelSet(Accelerator acc)
    {
        Fill = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, T>(ElementKernels.Fill));
        Copy = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, Dims, Operand, Operand>(
            ElementKernels.Copy));
        Unary = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, Dims, Operand, int, T,
            T>(ElementKernels.Unary<T, A>));
        Binary = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, Dims,
            Operand, Operand, int>(ElementKernels.Binary<T, A>));
        Compare = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<byte>, Dims,
            Operand, Operand, int>(ElementKernels.Compare<T, A>));
        Where = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<T>, ArrayView<T>,
            ArrayView<T>, Dims, Operand, Operand, Operand>(ElementKernels.Where));
        Gather = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, Dims,
            Operand, Operand, int>(ElementKernels.Gather));
        ScatterAdd = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>,
            Dims, Operand, Operand, Operand, int>(ElementKernels.ScatterAdd<T, A>));
        FindNonFinite = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Dims, Operand, ArrayView<int>>(
            ElementKernels.FindNonFinite<T, A>));
        Reduce = new(() => acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, int>(ReduceKernels.Reduce<T, A>));
        ArgReduce = new(() =>
            acc.LoadStreamKernel<ArrayView<T>, ArrayView<long>, int, int>(ReduceKernels.ArgReduce<T, A>));
        CrossEntropy = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>,
            ArrayView<T>, int>(LossKernels.CrossEntropy<T, A>));
        CrossEntropyBackward = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<long>,
            ArrayView<T>, ArrayView<T>, ArrayView<T>, int>(LossKernels.CrossEntropyBackward<T, A>));
        Im2Col = new(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Window2d, ArrayView<T>>(WindowKernels.Im2Col));
        Col2Im = new(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Window2d, ArrayView<T>>(WindowKernels.Col2Im<T, A>));
        MaxPool = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Window2d, ArrayView<T>,
            ArrayView<long>>(WindowKernels.MaxPool<T, A>));
        AvgPool = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Window2d, ArrayView<T>>(
            WindowKernels.AvgPool<T, A>));
        AvgPoolBackward = new(() => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Window2d, ArrayView<T>>(
            WindowKernels.AvgPoolBackward<T, A>));
        MatMul = new(() =>
            acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, MatMulShape>(MatMulKernel.Run<T, A>));
    }
}
