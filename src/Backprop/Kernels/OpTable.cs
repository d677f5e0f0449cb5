using Backprop.Kernels.Cpu;

namespace Backprop.Kernels;

/// <summary>The dtypes a kernel is defined for.</summary>
[Flags]
internal enum DTypeSet
{
    Float32 = 1,
    Float64 = 2,
    Int64 = 4,
    Bool = 8,
    Float = Float32 | Float64,
    Numeric = Float | Int64,
    All = Numeric | Bool,
}

/// <summary>A row of the op table: which dtypes its kernel takes.</summary>
internal interface IOpRow
{
    DTypeSet Takes { get; }
}

/// <summary>A row's CPU operator, made on first use (see <see cref="OpTable"/>).</summary>
internal abstract record CpuOperatorRow<TCpu>(Func<TCpu> MakeCpu) where TCpu : class
{
    private TCpu? _cpu;

    /// <summary>The CPU operator.</summary>
    public TCpu Cpu => _cpu ??= MakeCpu();
}

/// <summary>One elementwise kernel of one input: which dtypes it takes and how the CPU runs it.</summary>
internal sealed record UnaryRow(UnaryKernel Kernel, DTypeSet Takes, Func<ICpuUnary> MakeCpu)
    : CpuOperatorRow<ICpuUnary>(MakeCpu), IOpRow;

/// <summary>One reduction kernel: which dtypes it takes and how the CPU runs it.</summary>
internal sealed record ReduceRow(ReduceKernel Kernel, DTypeSet Takes, Func<ICpuReduce> MakeCpu)
    : CpuOperatorRow<ICpuReduce>(MakeCpu), IOpRow;

/// <summary>
/// One elementwise kernel of two inputs: which dtypes it takes (its inputs'), whether it writes Bool (a
/// comparison), and how the CPU runs it.
/// </summary>
internal sealed record BinaryRow(BinaryKernel Kernel, DTypeSet Takes, bool WritesBool, Func<ICpuBinary> MakeCpu)
    : CpuOperatorRow<ICpuBinary>(MakeCpu), IOpRow;

/// <summary>
/// The elementwise and reduction kernels, one row each, as <c>Scalar/Gates.cs</c> is for gates: the kernel, the
/// dtypes it takes and its CPU operator. Both backends check dtypes here before they run a kernel; the CPU backend
/// runs the row's operator, and the CUDA backend the case of the same kernel in <c>Backprop.Cuda/Kernels/</c>
/// (<c>Arith.cs</c>, <c>ReduceKernels.cs</c>), which the tests compare with the CPU for every row and dtype. Adding
/// an elementwise op is a row here, its operator struct (<c>Kernels/Cpu/Operators.cs</c>), its CUDA case and its
/// gradient rule in <c>Ops/</c>. A row makes its CPU operator when first run: making all of them at once loaded
/// about a hundred generic types and took 20 ms of a program's start.
/// </summary>
internal static class OpTable
{
    private static readonly UnaryRow[] s_unary = ByKernel<UnaryKernel, UnaryRow>(r => r.Kernel,
    [
        //  kernel                    dtypes             CPU operator
        new(UnaryKernel.Neg,          DTypeSet.Numeric,
            () => new NumericUnary<NegOp<float>, NegOp<double>, NegOp<long>>()),
        new(UnaryKernel.Abs,          DTypeSet.Numeric,
            () => new NumericUnary<AbsOp<float>, AbsOp<double>, AbsOp<long>>()),
        new(UnaryKernel.Sign,         DTypeSet.Numeric,
            () => new NumericUnary<SignOp<float>, SignOp<double>, SignOp<long>>()),
        new(UnaryKernel.Exp,          DTypeSet.Float,    () => new FloatUnary<ExpOp<float>, ExpOp<double>>()),
        new(UnaryKernel.Log,          DTypeSet.Float,    () => new FloatUnary<LogOp<float>, LogOp<double>>()),
        new(UnaryKernel.Sqrt,         DTypeSet.Float,    () => new FloatUnary<SqrtOp<float>, SqrtOp<double>>()),
        new(UnaryKernel.Tanh,         DTypeSet.Float,    () => new FloatUnary<TanhOp<float>, TanhOp<double>>()),
        new(UnaryKernel.Sigmoid,      DTypeSet.Float,    () => new FloatUnary<SigmoidOp<float>, SigmoidOp<double>>()),
        new(UnaryKernel.Relu,         DTypeSet.Float,    () => new FloatUnary<ReluOp<float>, ReluOp<double>>()),
        new(UnaryKernel.LeakyRelu,    DTypeSet.Float,
            () => new FloatUnary<LeakyReluOp<float>, LeakyReluOp<double>>()),
        new(UnaryKernel.LeakyReluSlope, DTypeSet.Float,
            () => new FloatUnary<LeakyReluSlopeOp<float>, LeakyReluSlopeOp<double>>()),
        new(UnaryKernel.Gelu,         DTypeSet.Float,    () => new FloatUnary<GeluOp<float>, GeluOp<double>>()),
        new(UnaryKernel.GeluTanh,     DTypeSet.Float,    () => new FloatUnary<GeluTanhOp<float>, GeluTanhOp<double>>()),
        new(UnaryKernel.NormalCdf,    DTypeSet.Float,
            () => new FloatUnary<NormalCdfOp<float>, NormalCdfOp<double>>()),
        new(UnaryKernel.Silu,         DTypeSet.Float,    () => new FloatUnary<SiluOp<float>, SiluOp<double>>()),
        new(UnaryKernel.Softplus,     DTypeSet.Float,    () => new FloatUnary<SoftplusOp<float>, SoftplusOp<double>>()),
        new(UnaryKernel.AddScalar,    DTypeSet.Numeric,
            () => new NumericUnary<AddScalarOp<float>, AddScalarOp<double>, AddScalarOp<long>>()),
        new(UnaryKernel.MulScalar,    DTypeSet.Numeric,
            () => new NumericUnary<MulScalarOp<float>, MulScalarOp<double>, MulScalarOp<long>>()),
        new(UnaryKernel.RSubScalar,   DTypeSet.Numeric,
            () => new NumericUnary<RSubScalarOp<float>, RSubScalarOp<double>, RSubScalarOp<long>>()),
        new(UnaryKernel.RDivScalar,   DTypeSet.Float,
            () => new FloatUnary<RDivScalarOp<float>, RDivScalarOp<double>>()),
        new(UnaryKernel.PowScalar,    DTypeSet.Numeric,
            () => new NumericUnary<PowScalarOp<float>, PowScalarOp<double>, IntPowScalarOp<long>>()),
        new(UnaryKernel.Clamp,        DTypeSet.Numeric,
            () => new NumericUnary<ClampOp<float>, ClampOp<double>, ClampOp<long>>()),
        new(UnaryKernel.InRange,      DTypeSet.Numeric,
            () => new NumericUnary<InRangeOp<float>, InRangeOp<double>, InRangeOp<long>>()),
        new(UnaryKernel.DivScalar,    DTypeSet.Float,
            () => new FloatUnary<DivScalarOp<float>, DivScalarOp<double>>()),
        new(UnaryKernel.Sin,          DTypeSet.Float,    () => new FloatUnary<SinOp<float>, SinOp<double>>()),
        new(UnaryKernel.Cos,          DTypeSet.Float,    () => new FloatUnary<CosOp<float>, CosOp<double>>()),
        new(UnaryKernel.Tan,          DTypeSet.Float,    () => new FloatUnary<TanOp<float>, TanOp<double>>()),
        new(UnaryKernel.Asin,         DTypeSet.Float,    () => new FloatUnary<AsinOp<float>, AsinOp<double>>()),
        new(UnaryKernel.Acos,         DTypeSet.Float,    () => new FloatUnary<AcosOp<float>, AcosOp<double>>()),
        new(UnaryKernel.Atan,         DTypeSet.Float,    () => new FloatUnary<AtanOp<float>, AtanOp<double>>()),
        new(UnaryKernel.Sinh,         DTypeSet.Float,    () => new FloatUnary<SinhOp<float>, SinhOp<double>>()),
        new(UnaryKernel.Cosh,         DTypeSet.Float,    () => new FloatUnary<CoshOp<float>, CoshOp<double>>()),
        new(UnaryKernel.Log1p,        DTypeSet.Float,    () => new FloatUnary<Log1pOp<float>, Log1pOp<double>>()),
        new(UnaryKernel.Expm1,        DTypeSet.Float,    () => new FloatUnary<Expm1Op<float>, Expm1Op<double>>()),
        new(UnaryKernel.Log2,         DTypeSet.Float,    () => new FloatUnary<Log2Op<float>, Log2Op<double>>()),
        new(UnaryKernel.Log10,        DTypeSet.Float,    () => new FloatUnary<Log10Op<float>, Log10Op<double>>()),
        new(UnaryKernel.Erf,          DTypeSet.Float,    () => new FloatUnary<ErfOp<float>, ErfOp<double>>()),
        new(UnaryKernel.Erfinv,       DTypeSet.Float,    () => new FloatUnary<ErfinvOp<float>, ErfinvOp<double>>()),
        new(UnaryKernel.Floor,        DTypeSet.Float,    () => new FloatUnary<FloorOp<float>, FloorOp<double>>()),
        new(UnaryKernel.Ceil,         DTypeSet.Float,    () => new FloatUnary<CeilOp<float>, CeilOp<double>>()),
        new(UnaryKernel.Round,        DTypeSet.Float,    () => new FloatUnary<RoundOp<float>, RoundOp<double>>()),
        new(UnaryKernel.Trunc,        DTypeSet.Float,    () => new FloatUnary<TruncOp<float>, TruncOp<double>>()),
    ]);

    private static readonly BinaryRow[] s_binary = ByKernel<BinaryKernel, BinaryRow>(r => r.Kernel,
    [
        //  kernel                        dtypes            Bool out  CPU operator
        new(BinaryKernel.Add,             DTypeSet.Numeric, false,
            () => new NumericBinary<AddOp<float>, AddOp<double>, AddOp<long>>()),
        new(BinaryKernel.Sub,             DTypeSet.Numeric, false,
            () => new NumericBinary<SubOp<float>, SubOp<double>, SubOp<long>>()),
        new(BinaryKernel.Mul,             DTypeSet.Numeric, false,
            () => new NumericBinary<MulOp<float>, MulOp<double>, MulOp<long>>()),
        new(BinaryKernel.Div,             DTypeSet.Numeric, false,
            () => new NumericBinary<DivOp<float>, DivOp<double>, DivOp<long>>()),
        new(BinaryKernel.Pow,             DTypeSet.Numeric, false,
            () => new NumericBinary<PowOp<float>, PowOp<double>, IntPowOp<long>>()),
        new(BinaryKernel.Maximum,         DTypeSet.Numeric, false,
            () => new NumericBinary<MaximumOp<float>, MaximumOp<double>, MaximumOp<long>>()),
        new(BinaryKernel.Minimum,         DTypeSet.Numeric, false,
            () => new NumericBinary<MinimumOp<float>, MinimumOp<double>, MinimumOp<long>>()),
        new(BinaryKernel.Gt,              DTypeSet.All,     true,
            () => new Comparison<GtOp<float>, GtOp<double>, GtOp<long>, GtOp<byte>>()),
        new(BinaryKernel.Ge,              DTypeSet.All,     true,
            () => new Comparison<GeOp<float>, GeOp<double>, GeOp<long>, GeOp<byte>>()),
        new(BinaryKernel.Lt,              DTypeSet.All,     true,
            () => new Comparison<LtOp<float>, LtOp<double>, LtOp<long>, LtOp<byte>>()),
        new(BinaryKernel.Le,              DTypeSet.All,     true,
            () => new Comparison<LeOp<float>, LeOp<double>, LeOp<long>, LeOp<byte>>()),
        new(BinaryKernel.Eq,              DTypeSet.All,     true,
            () => new Comparison<EqOp<float>, EqOp<double>, EqOp<long>, EqOp<byte>>()),
        new(BinaryKernel.PassIfPositive,  DTypeSet.Float,   false,
            () => new FloatBinary<PassIfPositiveOp<float>, PassIfPositiveOp<double>>()),
        new(BinaryKernel.Ne,              DTypeSet.All,     true,
            () => new Comparison<NeOp<float>, NeOp<double>, NeOp<long>, NeOp<byte>>()),
        new(BinaryKernel.LogicalAnd,      DTypeSet.Bool,    false, () => new LogicalBinary<AndOp<byte>>()),
        new(BinaryKernel.LogicalOr,       DTypeSet.Bool,    false, () => new LogicalBinary<OrOp<byte>>()),
        new(BinaryKernel.LogicalXor,      DTypeSet.Bool,    false, () => new LogicalBinary<XorOp<byte>>()),
        new(BinaryKernel.Atan2,           DTypeSet.Float,   false,
            () => new FloatBinary<Atan2Op<float>, Atan2Op<double>>()),
        new(BinaryKernel.Hypot,           DTypeSet.Float,   false,
            () => new FloatBinary<HypotOp<float>, HypotOp<double>>()),
        new(BinaryKernel.Fmod,            DTypeSet.Numeric, false,
            () => new NumericBinary<FmodOp<float>, FmodOp<double>, FmodOp<long>>()),
        new(BinaryKernel.Remainder,       DTypeSet.Numeric, false,
            () => new NumericBinary<RemainderOp<float>, RemainderOp<double>, RemainderOp<long>>()),
    ]);

    private static readonly ReduceRow[] s_reduce = ByKernel<ReduceKernel, ReduceRow>(r => r.Kernel,
    [
        //  kernel             dtypes            CPU operator (Bool's max and min over 0 and 1 are any and all)
        new(ReduceKernel.Sum,  DTypeSet.Numeric,
            () => new CpuReduce<SumReduce<float>, SumReduce<double>, SumReduce<long>, SumReduce<byte>>()),
        new(ReduceKernel.Max,  DTypeSet.All,
            () => new CpuReduce<MaxReduce<float>, MaxReduce<double>, MaxReduce<long>, MaxReduce<byte>>()),
        new(ReduceKernel.Min,  DTypeSet.All,
            () => new CpuReduce<MinReduce<float>, MinReduce<double>, MinReduce<long>, MinReduce<byte>>()),
    ]);

    /// <summary>Every unary row, in the kernels' order.</summary>
    public static IReadOnlyList<UnaryRow> Unary => s_unary;

    /// <summary>Every binary row, in the kernels' order.</summary>
    public static IReadOnlyList<BinaryRow> Binary => s_binary;

    /// <summary>Every reduction row, in the kernels' order.</summary>
    public static IReadOnlyList<ReduceRow> Reduce => s_reduce;

    /// <summary>The row of <paramref name="k"/>, after checking that it takes <paramref name="dtype"/>.</summary>
    public static ReduceRow Require(ReduceKernel k, DType dtype) => Checked(s_reduce[(int)k], k, dtype);

    /// <summary>The row of <paramref name="k"/>, after checking that it takes <paramref name="dtype"/>.</summary>
    public static UnaryRow Require(UnaryKernel k, DType dtype) => Checked(s_unary[(int)k], k, dtype);

    /// <summary>The row of <paramref name="k"/>, after checking that it takes inputs of
    /// <paramref name="dtype"/>.</summary>
    public static BinaryRow Require(BinaryKernel k, DType dtype) => Checked(s_binary[(int)k], k, dtype);

    /// <summary>Whether <paramref name="set"/> holds <paramref name="dtype"/>.</summary>
    public static bool Takes(DTypeSet set, DType dtype) => (set & (DTypeSet)(1 << (int)dtype)) != 0;

    private static TRow Checked<TRow, TKernel>(TRow row, TKernel kernel, DType dtype)
        where TRow : IOpRow where TKernel : struct, Enum =>
        Takes(row.Takes, dtype) ? row : throw NotDefined(kernel.ToString(), dtype);

    private static NotSupportedException NotDefined(string kernel, DType dtype) => new(
        $"{kernel}: not defined for {dtype} tensors; convert with To(" +
        (dtype == DType.Bool ? "DType.Int64) or To(DType.Float32)" : "DType.Float32)"));

    // the rows indexed by their kernel's value, checked to leave no gap and hold no kernel twice (that every kernel
    // has a row is a test's: listing an enum's values takes the reflection machinery 20 ms to start)
    private static TRow[] ByKernel<TKernel, TRow>(Func<TRow, TKernel> kernelOf, TRow[] rows)
        where TKernel : struct, Enum
    {
        var byKernel = new TRow[rows.Length];
        foreach (var row in rows)
        {
            int at = Convert.ToInt32(kernelOf(row));
            if (at >= rows.Length) throw new InvalidOperationException($"no row for a kernel before {kernelOf(row)}");
            if (byKernel[at] is not null) throw new InvalidOperationException($"two rows for {kernelOf(row)}");
            byKernel[at] = row;
        }
        return byKernel;
    }
}
