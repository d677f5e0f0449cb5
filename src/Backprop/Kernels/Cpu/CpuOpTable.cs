using System.Diagnostics;
using static Backprop.Kernels.Cpu.CpuBackend;

namespace Backprop.Kernels.Cpu;

/// <summary>How the CPU runs one unary row of the op table: y = op(x; p, q) for each dtype the row takes.</summary>
internal interface ICpuUnary
{
    /// <summary>Runs the kernel; x and y have y's dtype and shape, y is contiguous.</summary>
    void Run(Tensor x, Tensor y, double p, double q);
}

/// <summary>How the CPU runs one binary row of the op table over a broadcast layout.</summary>
internal interface ICpuBinary
{
    /// <summary>Runs the kernel; a and b have the dtype the row takes, broadcast to the contiguous y.</summary>
    void Run(Tensor a, Tensor b, Tensor y);
}

/// <summary>How the CPU runs one reduction row of the op table.</summary>
internal interface ICpuReduce
{
    /// <summary>Reduces each of y.Numel rows of the (possibly strided) x, whose trailing dims form the rows.</summary>
    void Run(Tensor x, Tensor y);
}

/// <summary>A reduction row, over whichever of the four element types the row takes.</summary>
internal sealed class CpuReduce<TF, TD, TL, TB> : ICpuReduce
    where TF : IReduceOperator<float> where TD : IReduceOperator<double>
    where TL : IReduceOperator<long> where TB : IReduceOperator<byte>
{
    public void Run(Tensor x, Tensor y)
    {
        switch (y.DType)
        {
            case DType.Float32: Reduce<float, TF>(x, y); break;
            case DType.Float64: Reduce<double, TD>(x, y); break;
            case DType.Int64: Reduce<long, TL>(x, y); break;
            default: Reduce<byte, TB>(x, y); break;
        }
    }

    // a strided view is reduced in place when its layout allows, else copied into row order first
    private static void Reduce<T, TOp>(Tensor x, Tensor y) where T : unmanaged where TOp : IReduceOperator<T>
    {
        if (!x.IsContiguous && StridedReduce.TryReduce<T, TOp>(Data<T>(x), x.offset, x.shape, x.strides, Data<T>(y)))
            return;
        CpuKernels.Reduce<T, TOp>(Span<T>(x), Data<T>(y));
    }
}

/// <summary>A unary row defined for Float32 and Float64.</summary>
internal sealed class FloatUnary<TF, TD> : ICpuUnary
    where TF : IUnaryOperator<float> where TD : IUnaryOperator<double>
{
    public void Run(Tensor x, Tensor y, double p, double q)
    {
        if (y.DType == DType.Float32) CpuKernels.Map<float, TF>(Span<float>(x), Data<float>(y), (float)p, (float)q);
        else CpuKernels.Map<double, TD>(Span<double>(x), Data<double>(y), p, q);
    }
}

/// <summary>A unary row defined for Float32, Float64 and Int64.</summary>
internal sealed class NumericUnary<TF, TD, TL> : ICpuUnary
    where TF : IUnaryOperator<float> where TD : IUnaryOperator<double> where TL : IUnaryOperator<long>
{
    public void Run(Tensor x, Tensor y, double p, double q)
    {
        switch (y.DType)
        {
            case DType.Float32: CpuKernels.Map<float, TF>(Span<float>(x), Data<float>(y), (float)p, (float)q); break;
            case DType.Float64: CpuKernels.Map<double, TD>(Span<double>(x), Data<double>(y), p, q); break;
            default: CpuKernels.Map<long, TL>(Span<long>(x), Data<long>(y), (long)p, (long)q); break;
        }
    }
}

/// <summary>A binary row defined for Float32 and Float64.</summary>
internal sealed class FloatBinary<TF, TD> : ICpuBinary
    where TF : IBinaryOperator<float> where TD : IBinaryOperator<double>
{
    public void Run(Tensor a, Tensor b, Tensor y)
    {
        if (y.DType == DType.Float32)
            CpuKernels.Zip<float, TF>(Operand<float>(a, y), Operand<float>(b, y), Data<float>(y), y.shape);
        else CpuKernels.Zip<double, TD>(Operand<double>(a, y), Operand<double>(b, y), Data<double>(y), y.shape);
    }
}

/// <summary>A binary row defined for Float32, Float64 and Int64.</summary>
internal sealed class NumericBinary<TF, TD, TL> : ICpuBinary
    where TF : IBinaryOperator<float> where TD : IBinaryOperator<double> where TL : IBinaryOperator<long>
{
    public void Run(Tensor a, Tensor b, Tensor y)
    {
        switch (y.DType)
        {
            case DType.Float32:
                CpuKernels.Zip<float, TF>(Operand<float>(a, y), Operand<float>(b, y), Data<float>(y), y.shape);
                break;
            case DType.Float64:
                CpuKernels.Zip<double, TD>(Operand<double>(a, y), Operand<double>(b, y), Data<double>(y), y.shape);
                break;
            default: CpuKernels.Zip<long, TL>(Operand<long>(a, y), Operand<long>(b, y), Data<long>(y), y.shape); break;
        }
    }
}

/// <summary>A binary row of Bool inputs and output (the logical kernels), over Bool's bytes.</summary>
internal sealed class LogicalBinary<TB> : ICpuBinary where TB : IBinaryOperator<byte>
{
    public void Run(Tensor a, Tensor b, Tensor y) =>
        CpuKernels.Zip<byte, TB>(Operand<byte>(a, y), Operand<byte>(b, y), Data<byte>(y), y.shape);
}

/// <summary>A comparison row: inputs of any dtype, compared in their own element type, into a Bool y.</summary>
internal sealed class Comparison<TF, TD, TL, TB> : ICpuBinary
    where TF : IComparison<float> where TD : IComparison<double>
    where TL : IComparison<long> where TB : IComparison<byte>
{
    public void Run(Tensor a, Tensor b, Tensor y)
    {
        Debug.Assert(y.DType == DType.Bool);
        var bools = Data<byte>(y);
        switch (a.DType)
        {
            case DType.Float32:
                CpuKernels.Compare<float, TF>(Operand<float>(a, y), Operand<float>(b, y), bools, y.shape);
                break;
            case DType.Float64:
                CpuKernels.Compare<double, TD>(Operand<double>(a, y), Operand<double>(b, y), bools, y.shape);
                break;
            case DType.Int64:
                CpuKernels.Compare<long, TL>(Operand<long>(a, y), Operand<long>(b, y), bools, y.shape);
                break;
            default: CpuKernels.Compare<byte, TB>(Operand<byte>(a, y), Operand<byte>(b, y), bools, y.shape); break;
        }
    }
}
