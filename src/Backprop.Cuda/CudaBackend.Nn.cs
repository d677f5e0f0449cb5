using Backprop.Cuda.Kernels;
using Backprop.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Backprop.Cuda;

// Indexing, checks, losses and the sliding-window kernels of convolution and pooling.
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    void IBackend.Gather(Tensor x, int dim, Tensor index, Tensor y)
    {
        try
        {
            if (y.Numel == 0) return;
            var xStrides = (int[])x.strides.Clone();
            xStrides[dim] = 0;
            var (shape, ops) = Layouts.Plan(index.shape, [x.offset, index.offset], xStrides, index.strides);
            switch (y.DType)
            {
                case DType.Float32: GatherOf(_float, x, dim, index, y, shape, ops); break;
                case DType.Float64: GatherOf(_double, x, dim, index, y, shape, ops); break;
                case DType.Int64: GatherOf(_long, x, dim, index, y, shape, ops); break;
                default: GatherOf(_bool, x, dim, index, y, shape, ops); break;
            }
        }
        finally { GC.KeepAlive(x); GC.KeepAlive(index); GC.KeepAlive(y); }
    }

    private static void GatherOf<T, A>(KernelSet<T, A> set, Tensor x, int dim, Tensor index, Tensor y, Dims shape,
        Operand[] ops) where T : unmanaged where A : struct, IArith<T> =>
        set.Gather.Value(y.Numel, View<T>(x), View<long>(index), View<T>(y), shape, ops[0], ops[1], x.strides[dim]);

    /// <inheritdoc/>
    void IBackend.ScatterAdd(Tensor y, int dim, Tensor index, Tensor src)
    {
        try
        {
            int n = index.Numel;
            if (n == 0) return;
            var yStrides = (int[])y.strides.Clone();
            yStrides[dim] = 0;
            var (shape, ops) = Layouts.Plan(index.shape, [y.offset, index.offset, src.offset], yStrides, index.strides,
                src.strides);
            switch (y.DType)
            {
                case DType.Float32: ScatterAddOf(_float, y, dim, index, src, shape, ops); break;
                case DType.Float64: ScatterAddOf(_double, y, dim, index, src, shape, ops); break;
                case DType.Int64: ScatterAddOf(_long, y, dim, index, src, shape, ops); break;
                default: throw NotForBool("ScatterAdd");
            }
        }
        finally { GC.KeepAlive(y); GC.KeepAlive(index); GC.KeepAlive(src); }
    }

    private static void ScatterAddOf<T, A>(KernelSet<T, A> set, Tensor y, int dim, Tensor index, Tensor src, Dims shape,
        Operand[] ops) where T : unmanaged where A : struct, IArith<T> =>
        set.ScatterAdd.Value(index.Numel, View<T>(y), View<long>(index), View<T>(src), shape, ops[0], ops[1], ops[2],
            y.strides[dim]);

    /// <inheritdoc/>
    long? IBackend.FindOutOfRange(Tensor index, int size)
    {
        try
        {
            if (index.Numel == 0) return null;
            var (shape, ops) = Layouts.Plan(index.shape, [index.offset], index.strides);
            using var first = _accelerator.Allocate1D(new[] { int.MaxValue });
            _findOutOfRange.Value(index.Numel, View<long>(index), shape, ops[0], size, first.View);
            int at = first.GetAsArray1D()[0];
            if (at == int.MaxValue) return null;
            var value = new long[1];
            View<long>(index).SubView(ops[0].At(at, shape), 1).CopyToCPU(value);
            return value[0];
        }
        finally { GC.KeepAlive(index); }
    }

    /// <inheritdoc/>
    bool IBackend.AllFinite(Tensor x)
    {
        try
        {
            if (!x.DType.IsFloatingPoint() || x.Numel == 0) return true;
            var (shape, ops) = Layouts.Plan(x.shape, [x.offset], x.strides);
            using var flag = _accelerator.Allocate1D(new[] { 0 });
            if (x.DType == DType.Float32) _float.FindNonFinite.Value(x.Numel, View<float>(x), shape, ops[0], flag.View);
            else _double.FindNonFinite.Value(x.Numel, View<double>(x), shape, ops[0], flag.View);
            return flag.GetAsArray1D()[0] == 0;
        }
        finally { GC.KeepAlive(x); }
    }

    /// <inheritdoc/>
    void IBackend.CrossEntropy(Tensor logits, Tensor target, Tensor loss, Tensor logSumExp)
    {
        try
        {
            int rows = target.Numel, classes = logits.shape[1];
            if (rows == 0) return;
            logits = Contiguous(logits);
            target = Contiguous(target);
            if (logits.DType == DType.Float32)
                _float.CrossEntropy.Value(rows, Elements<float>(logits), Elements<long>(target), Elements<float>(loss),
                    Elements<float>(logSumExp), classes);
            else
                _double.CrossEntropy.Value(rows, Elements<double>(logits), Elements<long>(target),
                    Elements<double>(loss), Elements<double>(logSumExp), classes);
        }
        finally { GC.KeepAlive(logits); GC.KeepAlive(target); GC.KeepAlive(loss); GC.KeepAlive(logSumExp); }
    }

    /// <inheritdoc/>
    void IBackend.CrossEntropyBackward(Tensor logits, Tensor target, Tensor logSumExp, Tensor g, Tensor dLogits)
    {
        try
        {
            int n = dLogits.Numel, classes = logits.shape[1];
            if (n == 0) return;
            (logits, target, logSumExp, g) = (Contiguous(logits), Contiguous(target), Contiguous(logSumExp),
                Contiguous(g));
            if (logits.DType == DType.Float32)
                _float.CrossEntropyBackward.Value(n, Elements<float>(logits), Elements<long>(target),
                    Elements<float>(logSumExp), Elements<float>(g), Elements<float>(dLogits), classes);
            else
                _double.CrossEntropyBackward.Value(n, Elements<double>(logits), Elements<long>(target),
                    Elements<double>(logSumExp), Elements<double>(g), Elements<double>(dLogits), classes);
        }
        finally
        {
            GC.KeepAlive(logits); GC.KeepAlive(target); GC.KeepAlive(logSumExp); GC.KeepAlive(g);
            GC.KeepAlive(dLogits);
        }
    }

    /// <inheritdoc/>
    void IBackend.Im2Col(Tensor x, Window2d window, Tensor columns)
    {
        Window(x, window, columns, columns.Numel, _float.Im2Col, _double.Im2Col);
        GC.KeepAlive(x); GC.KeepAlive(columns);
    }

    /// <inheritdoc/>
    void IBackend.Col2Im(Tensor columns, Window2d window, Tensor dx)
    {
        Window(columns, window, dx, dx.Numel, _float.Col2Im, _double.Col2Im);
        GC.KeepAlive(columns); GC.KeepAlive(dx);
    }

    /// <inheritdoc/>
    void IBackend.AvgPool2d(Tensor x, Window2d window, Tensor y)
    {
        Window(x, window, y, y.Numel, _float.AvgPool, _double.AvgPool);
        GC.KeepAlive(x); GC.KeepAlive(y);
    }

    /// <inheritdoc/>
    void IBackend.AvgPool2dBackward(Tensor g, Window2d window, Tensor dx)
    {
        Window(g, window, dx, g.Numel, _float.AvgPoolBackward, _double.AvgPoolBackward);
        GC.KeepAlive(g); GC.KeepAlive(dx);
    }

    /// <inheritdoc/>
    void IBackend.MaxPool2d(Tensor x, Window2d window, Tensor y, Tensor indices)
    {
        try
        {
            if (y.Numel == 0) return;
            x = Contiguous(x);
            if (x.DType == DType.Float32) _float.MaxPool.Value(y.Numel, Elements<float>(x), window, Elements<float>(y),
                Elements<long>(indices));
            else _double.MaxPool.Value(y.Numel, Elements<double>(x), window, Elements<double>(y),
                Elements<long>(indices));
        }
        finally { GC.KeepAlive(x); GC.KeepAlive(y); GC.KeepAlive(indices); }
    }

    /// <summary>Runs a window kernel with <paramref name="threads"/> threads over the contiguous input and
    /// output.</summary>
    private void Window(Tensor input, Window2d window, Tensor output, int threads,
        Lazy<Action<Index1D, ArrayView<float>, Window2d, ArrayView<float>>> forFloat,
        Lazy<Action<Index1D, ArrayView<double>, Window2d, ArrayView<double>>> forDouble)
    {
        if (threads == 0) return;
        input = Contiguous(input);
        if (output.DType == DType.Float32) forFloat.Value(threads, Elements<float>(input), window,
            Elements<float>(output));
        else forDouble.Value(threads, Elements<double>(input), window, Elements<double>(output));
    }
}
