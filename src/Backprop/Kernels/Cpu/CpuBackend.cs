using System.Numerics;
using System.Numerics.Tensors;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Tensors in managed arrays; each method checks the dtype once and runs a kernel specialized for the element
/// type over spans (<see cref="CpuKernels"/>). Bool tensors hold bytes, 0 or 1, so that the generic kernels that
/// only move, pick or compare elements serve them too.
/// </summary>
internal sealed class CpuBackend : IBackend
{
    public static readonly CpuBackend Instance = new();

    internal static T[] Data<T>(Tensor t) where T : unmanaged => ((CpuStorage<T>)t.storage).Data ?? throw Released(t);

    private static InvalidOperationException Released(Tensor t) => new(
        $"A tensor of shape {Shapes.Format(t.shape)} was used after the TensorScope that made it ended, " +
        "so its memory now " +
        "belongs to other tensors. Read what you need inside the scope, or call scope.Keep(tensor) to exempt it.");

    public Storage Allocate(DType dtype, int length) => Allocate(dtype, length, clear: true);

    public Storage AllocateUninitialized(DType dtype, int length) => Allocate(dtype, length, clear: false);

    private static Storage Allocate(DType dtype, int length, bool clear)
    {
        Storage storage = dtype switch
        {
            DType.Float32 => CpuAllocator.Allocate<float>(length, clear, TensorScope.IsOpen),
            DType.Float64 => CpuAllocator.Allocate<double>(length, clear, TensorScope.IsOpen),
            DType.Int64 => CpuAllocator.Allocate<long>(length, clear, TensorScope.IsOpen),
            _ => CpuAllocator.Allocate<byte>(length, clear, TensorScope.IsOpen),
        };
        TensorScope.Adopt(storage);
        return storage;
    }

    public Storage FromArray<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        var storage = CpuAllocator.Allocate<T>(data.Length, clear: false, TensorScope.IsOpen);
        data.CopyTo(storage.Data);
        TensorScope.Adopt(storage);
        return storage;
    }

    public T[] ToArray<T>(Tensor x) where T : unmanaged
    {
        var src = Data<T>(x);
        int n = x.Numel;
        if (x.IsContiguous) return src.AsSpan(x.offset, n).ToArray();
        var result = new T[n];
        CpuKernels.Copy(src, x.offset, x.strides, result, 0, Shapes.ContiguousStrides(x.shape), x.shape);
        return result;
    }

    public void Fill(Tensor y, double value)
    {
        if (BitConverter.DoubleToInt64Bits(value) == 0 && y.DType.IsFloatingPoint())
        {
            // zeroing gradients in place runs over every parameter each step
            if (y.DType == DType.Float32) ParallelSpans.Clear(Data<float>(y).AsSpan(y.offset, y.Numel));
            else ParallelSpans.Clear(Data<double>(y).AsSpan(y.offset, y.Numel));
            return;
        }
        switch (y.DType)
        {
            case DType.Float32: Data<float>(y).AsSpan(y.offset, y.Numel).Fill((float)value); break;
            case DType.Float64: Data<double>(y).AsSpan(y.offset, y.Numel).Fill(value); break;
            case DType.Int64: Data<long>(y).AsSpan(y.offset, y.Numel).Fill((long)value); break;
            default: Data<byte>(y).AsSpan(y.offset, y.Numel).Fill(value != 0 ? (byte)1 : (byte)0); break;
        }
    }

    public void Copy(Tensor src, Tensor dst)
    {
        switch (src.DType)
        {
            case DType.Float32: CopyAs<float>(src, dst); break;
            case DType.Float64: CopyAs<double>(src, dst); break;
            case DType.Int64: CopyAs<long>(src, dst); break;
            default: CopyAs<byte>(src, dst); break;
        }
    }

    private static void CopyAs<T>(Tensor src, Tensor dst) where T : unmanaged =>
        CpuKernels.Copy(Data<T>(src), src.offset, src.strides, Data<T>(dst), dst.offset, dst.strides, dst.shape);

    public void Convert(Tensor src, Tensor dst)
    {
        switch (src.DType)
        {
            case DType.Float32: ConvertFrom(ToArray<float>(src), dst); break;
            case DType.Float64: ConvertFrom(ToArray<double>(src), dst); break;
            case DType.Int64: ConvertFrom(ToArray<long>(src), dst); break;
            default: ConvertFrom(ToArray<byte>(src), dst); break;   // Bool's 0 and 1 convert as numbers
        }
    }

    private static void ConvertFrom<TFrom>(TFrom[] src, Tensor dst) where TFrom : unmanaged, INumber<TFrom>
    {
        switch (dst.DType)
        {
            case DType.Float32: TensorPrimitives.ConvertTruncating<TFrom, float>(src, Into<float>(dst)); break;
            case DType.Float64: TensorPrimitives.ConvertTruncating<TFrom, double>(src, Into<double>(dst)); break;
            case DType.Int64: TensorPrimitives.ConvertTruncating<TFrom, long>(src, Into<long>(dst)); break;
            default: NonZero<TFrom>(src, Into<byte>(dst)); break;
        }
    }

    private static Span<T> Into<T>(Tensor dst) where T : unmanaged => Data<T>(dst).AsSpan(dst.offset);

    // a number converts to Bool as "nonzero"; NaN is nonzero, as in PyTorch
    private static void NonZero<T>(ReadOnlySpan<T> src, Span<byte> dst) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < src.Length; i++) dst[i] = src[i] != T.Zero ? (byte)1 : (byte)0;
    }

    private static NotSupportedException NotForBool(string kernel) =>
        new($"{kernel}: not defined for Bool tensors; convert with To(DType.Int64) or To(DType.Float32)");

    // the op table's row checks the dtype and runs its operator, specialized for the element type
    public void Unary(UnaryKernel k, Tensor x, Tensor y, double p, double q) =>
        OpTable.Require(k, y.DType).Cpu.Run(x, y, p, q);

    public void Binary(BinaryKernel k, Tensor a, Tensor b, Tensor y) => OpTable.Require(k, a.DType).Cpu.Run(a, b, y);

    public void Where(Tensor cond, Tensor a, Tensor b, Tensor y)
    {
        switch (y.DType)
        {
            case DType.Float32: WhereAs<float>(cond, a, b, y); break;
            case DType.Float64: WhereAs<double>(cond, a, b, y); break;
            case DType.Int64: WhereAs<long>(cond, a, b, y); break;
            default: WhereAs<byte>(cond, a, b, y); break;
        }
    }

    private static void WhereAs<T>(Tensor cond, Tensor a, Tensor b, Tensor y) where T : unmanaged =>
        CpuKernels.Where(Operand<byte>(cond, y), Operand<T>(a, y), Operand<T>(b, y), Data<T>(y), y.shape);

    // Bool's max and min over 0 and 1 are any and all; its sums are counted in Int64 by the op
    public void Reduce(ReduceKernel k, Tensor x, Tensor y) => OpTable.Require(k, y.DType).Cpu.Run(x, y);

    public void ArgReduce(bool max, Tensor x, Tensor y)
    {
        switch (x.DType)
        {
            case DType.Float32: CpuKernels.ArgReduce(max, Contiguous<float>(x), Data<long>(y)); break;
            case DType.Float64: CpuKernels.ArgReduce(max, Contiguous<double>(x), Data<long>(y)); break;
            case DType.Int64: CpuKernels.ArgReduce(max, Contiguous<long>(x), Data<long>(y)); break;
            default: CpuKernels.ArgReduce(max, Contiguous<byte>(x), Data<long>(y)); break;
        }
    }

    public void MatMul(Tensor a, Tensor b, Tensor y)
    {
        if (y.DType == DType.Float32) CpuMatMul.Run<float>(a, b, y);
        else CpuMatMul.Run<double>(a, b, y);
    }

    public RightOperand PrepareRight(Tensor b) =>
        b.DType == DType.Float32 ? CpuMatMul.Prepare<float>(b) : CpuMatMul.Prepare<double>(b);

    public void MatMul(Tensor a, RightOperand b, Tensor? bias, Tensor y)
    {
        if (y.DType == DType.Float32) CpuMatMul.MultiplyPrepared<float>(a, b, bias, y);
        else CpuMatMul.MultiplyPrepared<double>(a, b, bias, y);
    }

    public void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        if (y.DType == DType.Float32) CpuMatMul.Linear<float>(x, weight, bias, y, relu: false);
        else CpuMatMul.Linear<double>(x, weight, bias, y, relu: false);
    }

    public void LinearRelu(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        if (y.DType == DType.Float32) CpuMatMul.Linear<float>(x, weight, bias, y, relu: true);
        else CpuMatMul.Linear<double>(x, weight, bias, y, relu: true);
    }

    public void ReluBackwardWithColumnSums(Tensor g, Tensor y, Tensor dz, Tensor? columnSums)
    {
        if (columnSums is null) Binary(BinaryKernel.PassIfPositive, g, y, dz);
        else if (y.DType == DType.Float32) CpuMatMul.ReluBackwardWithColumnSums<float>(g, y, dz, columnSums);
        else CpuMatMul.ReluBackwardWithColumnSums<double>(g, y, dz, columnSums);
    }

    public (Tensor? Dx, Tensor? DWeight, Tensor? DBias) LinearBackward(Tensor x, Tensor weight, Tensor g, bool needDx,
        bool needDWeight, bool needDBias) =>
        x.DType == DType.Float32
            ? CpuMatMul.LinearBackward<float>(x, weight, g, needDx, needDWeight, needDBias)
            : CpuMatMul.LinearBackward<double>(x, weight, g, needDx, needDWeight, needDBias);

    public void LstmCell(Tensor gates, Tensor c, Tensor state)
    {
        if (state.DType == DType.Float32) RecurrentKernels.LstmCell<float>(gates, c, state);
        else RecurrentKernels.LstmCell<double>(gates, c, state);
    }

    public void LstmCellBackward(Tensor g, Tensor gates, Tensor c, Tensor state, Tensor dGates, Tensor dc)
    {
        if (state.DType == DType.Float32) RecurrentKernels.LstmCellBackward<float>(g, gates, c, state, dGates, dc);
        else RecurrentKernels.LstmCellBackward<double>(g, gates, c, state, dGates, dc);
    }

    public void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, double eps, Tensor y, Tensor mean, Tensor rstd)
    {
        if (x.DType == DType.Float32) LayerNormKernels.Forward<float>(x, weight, bias, eps, y, mean, rstd);
        else LayerNormKernels.Forward<double>(x, weight, bias, eps, y, mean, rstd);
    }

    public void LayerNormBackward(Tensor g, Tensor x, Tensor? weight, Tensor mean, Tensor rstd, Tensor? dx,
        Tensor? dWeight, Tensor? dBias)
    {
        if (x.DType == DType.Float32)
            LayerNormKernels.Backward<float>(g, x, weight, mean, rstd, dx, dWeight, dBias);
        else LayerNormKernels.Backward<double>(g, x, weight, mean, rstd, dx, dWeight, dBias);
    }

    public void BatchNorm(Tensor x, Tensor? weight, Tensor? bias, double eps, bool training, Tensor mean,
        Tensor variance, Tensor y)
    {
        if (x.DType == DType.Float32)
            BatchNormKernels.Forward<float>(x, weight, bias, eps, training, mean, variance, y);
        else BatchNormKernels.Forward<double>(x, weight, bias, eps, training, mean, variance, y);
    }

    public void BatchNormBackward(Tensor g, Tensor x, Tensor? weight, Tensor mean, Tensor variance, double eps,
        bool training, Tensor? dx, Tensor? dWeight, Tensor? dBias)
    {
        if (x.DType == DType.Float32)
            BatchNormKernels.Backward<float>(g, x, weight, mean, variance, eps, training, dx, dWeight, dBias);
        else BatchNormKernels.Backward<double>(g, x, weight, mean, variance, eps, training, dx, dWeight, dBias);
    }

    public void Softmax(Tensor x, Tensor y)
    {
        if (x.DType == DType.Float32) SoftmaxKernels.Forward<float>(x, y);
        else SoftmaxKernels.Forward<double>(x, y);
    }

    public void SoftmaxBackward(Tensor y, Tensor g, Tensor dx)
    {
        if (y.DType == DType.Float32) SoftmaxKernels.Backward<float>(y, g, dx);
        else SoftmaxKernels.Backward<double>(y, g, dx);
    }

    public void GruCell(Tensor inputGates, Tensor hiddenGates, Tensor h, Tensor hNext)
    {
        if (h.DType == DType.Float32) RecurrentKernels.GruCell<float>(inputGates, hiddenGates, h, hNext);
        else RecurrentKernels.GruCell<double>(inputGates, hiddenGates, h, hNext);
    }

    public void GruCellBackward(Tensor g, Tensor inputGates, Tensor hiddenGates, Tensor h, Tensor dInputGates,
        Tensor dHiddenGates, Tensor dh)
    {
        if (h.DType == DType.Float32)
            RecurrentKernels.GruCellBackward<float>(g, inputGates, hiddenGates, h, dInputGates, dHiddenGates, dh);
        else RecurrentKernels.GruCellBackward<double>(g, inputGates, hiddenGates, h, dInputGates, dHiddenGates, dh);
    }

    public void Gather(Tensor x, int dim, Tensor index, Tensor y)
    {
        switch (y.DType)
        {
            case DType.Float32: GatherAs<float>(x, dim, index, y); break;
            case DType.Float64: GatherAs<double>(x, dim, index, y); break;
            case DType.Int64: GatherAs<long>(x, dim, index, y); break;
            default: GatherAs<byte>(x, dim, index, y); break;
        }
    }

    private static void GatherAs<T>(Tensor x, int dim, Tensor index, Tensor y) where T : unmanaged =>
        CpuKernels.Gather(Operand<T>(x, x), dim, Operand<long>(index, index), Data<T>(y), index.shape);

    public void ScatterAdd(Tensor y, int dim, Tensor index, Tensor src)
    {
        switch (y.DType)
        {
            case DType.Float32: ScatterAddAs<float>(y, dim, index, src); break;
            case DType.Float64: ScatterAddAs<double>(y, dim, index, src); break;
            case DType.Int64: ScatterAddAs<long>(y, dim, index, src); break;
            default: throw NotForBool("ScatterAdd");
        }
    }

    private static void ScatterAddAs<T>(Tensor y, int dim, Tensor index, Tensor src) where T : unmanaged, INumber<T> =>
        CpuKernels.ScatterAdd(Operand<T>(y, y), dim, Operand<long>(index, index), Operand<T>(src, src), index.shape);

    public long? FindOutOfRange(Tensor index, int size)
    {
        foreach (long i in ToArray<long>(index)) if (i < 0 || i >= size) return i;
        return null;
    }

    public bool AllFinite(Tensor x)
    {
        switch (x.DType)
        {
            case DType.Float32:
                foreach (float v in ToArray<float>(x)) if (!float.IsFinite(v)) return false;
                return true;
            case DType.Float64:
                foreach (double v in ToArray<double>(x)) if (!double.IsFinite(v)) return false;
                return true;
            default: return true;
        }
    }

    public void CrossEntropy(Tensor logits, Tensor target, Tensor loss, Tensor logSumExp)
    {
        int classes = logits.shape[1];
        if (logits.DType == DType.Float32) LossKernels.CrossEntropy(Contiguous<float>(logits), Contiguous<long>(target),
            classes, Data<float>(loss), Data<float>(logSumExp));
        else LossKernels.CrossEntropy(Contiguous<double>(logits), Contiguous<long>(target), classes, Data<double>(loss),
            Data<double>(logSumExp));
    }

    public void CrossEntropyBackward(Tensor logits, Tensor target, Tensor logSumExp, Tensor g, Tensor dLogits)
    {
        int classes = logits.shape[1];
        // a mean's or a sum's gradient reaches every row as one value, broadcast: read it once, with no copy
        int gStep = g.Numel > 1 && g.strides[0] == 0 ? 0 : 1;
        if (logits.DType == DType.Float32)
            LossKernels.CrossEntropyBackward(Contiguous<float>(logits), Contiguous<long>(target),
                Contiguous<float>(logSumExp), gStep == 0 ? Data<float>(g).AsSpan(g.offset, 1) : Contiguous<float>(g),
                gStep, classes, Data<float>(dLogits));
        else
            LossKernels.CrossEntropyBackward(Contiguous<double>(logits), Contiguous<long>(target),
                Contiguous<double>(logSumExp), gStep == 0 ? Data<double>(g).AsSpan(g.offset, 1) : Contiguous<double>(g),
                gStep, classes, Data<double>(dLogits));
    }

    public void Im2Col(Tensor x, Window2d window, Tensor columns)
    {
        if (x.DType == DType.Float32) WindowParallel.Im2Col(Contiguous<float>(x), window, Data<float>(columns));
        else WindowParallel.Im2Col(Contiguous<double>(x), window, Data<double>(columns));
    }

    public void Col2Im(Tensor columns, Window2d window, Tensor dx)
    {
        if (dx.DType == DType.Float32) WindowParallel.Col2Im(Contiguous<float>(columns), window, Data<float>(dx));
        else WindowParallel.Col2Im(Contiguous<double>(columns), window, Data<double>(dx));
    }

    public void Conv2d(Tensor columns, Tensor weight, Tensor? bias, Window2d window, Tensor y)
    {
        if (y.DType == DType.Float32) CpuConvolution.Forward<float>(columns, weight, bias, window, y, relu: false);
        else CpuConvolution.Forward<double>(columns, weight, bias, window, y, relu: false);
    }

    public void Conv2dRelu(Tensor columns, Tensor weight, Tensor? bias, Window2d window, Tensor y)
    {
        if (y.DType == DType.Float32) CpuConvolution.Forward<float>(columns, weight, bias, window, y, relu: true);
        else CpuConvolution.Forward<double>(columns, weight, bias, window, y, relu: true);
    }

    public void Conv2dBackward(Tensor columns, Tensor weight, Tensor g, Window2d window, Tensor? dWeight, Tensor? dx)
    {
        if (g.DType == DType.Float32) CpuConvolution.Backward<float>(columns, weight, g, window, dWeight, dx);
        else CpuConvolution.Backward<double>(columns, weight, g, window, dWeight, dx);
    }

    public void ConvolutionOutputBackward(Tensor g, Tensor? reluOutput, Tensor dz, Tensor? dBias)
    {
        if (g.DType == DType.Float32) CpuConvolution.OutputBackward<float>(g, reluOutput, dz, dBias);
        else CpuConvolution.OutputBackward<double>(g, reluOutput, dz, dBias);
    }

    public void MaxPool2d(Tensor x, Window2d window, Tensor y, Tensor indices)
    {
        if (x.DType == DType.Float32) WindowParallel.MaxPool(Contiguous<float>(x), window, Data<float>(y),
            Data<long>(indices));
        else WindowParallel.MaxPool(Contiguous<double>(x), window, Data<double>(y), Data<long>(indices));
    }

    public void MaxPool2dBackward(Tensor g, Tensor winners, Window2d window, Tensor dx)
    {
        if (dx.DType == DType.Float32) WindowParallel.MaxPoolBackward(Contiguous<float>(g), Contiguous<long>(winners),
            window, Data<float>(dx));
        else WindowParallel.MaxPoolBackward(Contiguous<double>(g), Contiguous<long>(winners), window, Data<double>(dx));
    }

    public void AvgPool2d(Tensor x, Window2d window, Tensor y)
    {
        if (x.DType == DType.Float32) WindowParallel.AvgPool(Contiguous<float>(x), window, Data<float>(y));
        else WindowParallel.AvgPool(Contiguous<double>(x), window, Data<double>(y));
    }

    public void AvgPool2dBackward(Tensor g, Window2d window, Tensor dx)
    {
        if (dx.DType == DType.Float32) WindowParallel.AvgPoolBackward(Contiguous<float>(g), window, Data<float>(dx));
        else WindowParallel.AvgPoolBackward(Contiguous<double>(g), window, Data<double>(dx));
    }

    /// <summary>
    /// The elements of x in row-major order: its own array when already contiguous, else a copy in a tensor's storage,
    /// which an open <see cref="TensorScope"/> recycles (a broadcast loss gradient is strided every step).
    /// </summary>
    /// <summary>x's elements in row-major order: its own array when contiguous, else a copy for this call.</summary>
    internal static ReadOnlySpan<T> Span<T>(Tensor x) where T : unmanaged => Instance.Contiguous<T>(x);

    private ReadOnlySpan<T> Contiguous<T>(Tensor x) where T : unmanaged
    {
        if (x.IsContiguous) return Data<T>(x).AsSpan(x.offset, x.Numel);
        var copy = Scratch(x);
        Copy(x, copy);
        return Data<T>(copy).AsSpan(0, x.Numel);
    }

    /// <summary>
    /// A contiguous tensor of x's shape whose array the caching allocator never takes back: a kernel may go on using
    /// the array after the tensor itself is gone.
    /// </summary>
    internal static Tensor Scratch(Tensor x) => x.DType switch
    {
        DType.Float32 => ScratchOf<float>(x.shape),
        DType.Float64 => ScratchOf<double>(x.shape),
        DType.Int64 => ScratchOf<long>(x.shape),
        _ => ScratchOf<byte>(x.shape),
    };

    private static Tensor ScratchOf<T>(int[] shape) where T : unmanaged =>
        new(new CpuStorage<T>(GC.AllocateUninitializedArray<T>(Shapes.Numel(shape))), shape,
            Shapes.ContiguousStrides(shape), 0);

    /// <summary>x's array, offset and strides as seen when broadcast to <paramref name="target"/>'s shape.</summary>
    internal static Strided<T> Operand<T>(Tensor x, Tensor target) where T : unmanaged =>
        new(Data<T>(x), x.offset, ReferenceEquals(x, target) || Shapes.Equal(x.shape, target.shape)
            ? x.strides : Shapes.BroadcastStrides(x.shape, x.strides, target.shape));
}

/// <summary>An array viewed through an offset and strides.</summary>
internal readonly record struct Strided<T>(T[] Data, int Offset, int[] Strides) where T : unmanaged;
