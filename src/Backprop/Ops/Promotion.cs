namespace Backprop;

/// <summary>
/// PyTorch's type promotion (torch.result_type). Dtypes rank by category, Bool &lt; integer &lt; floating, and
/// within floating by width. Operands decide in three tiers: tensors with dimensions, then 0-dim tensors, then C#
/// numbers, a lower tier changing the result only where its category is higher: Float32 [n] + Float64 0-dim stays
/// Float32, Int64 [n] · 2.5 is of the default float dtype.
/// </summary>
internal static class Promotion
{
    private static int Category(DType d) => d switch
    {
        DType.Bool => 0,
        DType.Int64 => 1,
        _ => 2,
    };

    /// <summary>The smallest dtype that holds both (PyTorch's promote_types).</summary>
    public static DType Promote(DType a, DType b) =>
        Category(a) != Category(b) ? (Category(a) > Category(b) ? a : b)
        : a == DType.Float64 || b == DType.Float64 ? DType.Float64 : a;

    /// <summary>The dtype of an elementwise op on two tensors.</summary>
    public static DType ResultType(Tensor a, Tensor b)
    {
        DType? dimensioned = Join(a.NDim > 0 ? a.DType : null, b.NDim > 0 ? b.DType : null);
        DType? zeroDim = Join(a.NDim == 0 ? a.DType : null, b.NDim == 0 ? b.DType : null);
        return dimensioned is { } d ? Combine(d, zeroDim) : zeroDim!.Value;
    }

    /// <summary>
    /// The dtype of an elementwise op on tensor <paramref name="x"/> and a C# number: a double counts as
    /// <see cref="Tensor.DefaultDType"/>, a long as Int64.
    /// </summary>
    public static DType ResultType(Tensor x, bool floatScalar) =>
        Combine(x.DType, floatScalar ? Tensor.DefaultDType : DType.Int64);

    private static DType? Join(DType? a, DType? b) => a is { } x ? (b is { } y ? Promote(x, y) : x) : b;

    // a tier's dtype with a lower tier's: the lower one wins only by a higher category, and then as it is
    private static DType Combine(DType higher, DType? lower) =>
        lower is { } l && Category(l) > Category(higher) ? l : higher;
}
