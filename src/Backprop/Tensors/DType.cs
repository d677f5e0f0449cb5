namespace Backprop;

/// <summary>The element type of a tensor.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float, the default.</summary>
    Float32,
    /// <summary>64-bit IEEE float, used for gradient checking.</summary>
    Float64,
    /// <summary>64-bit signed integer, used for indices and labels; never requires grad.</summary>
    Int64,
    /// <summary>True or false, one byte per element: what comparisons return; never requires grad.</summary>
    Bool,
}

/// <summary>Facts about element types.</summary>
public static class DTypeExtensions
{
    /// <summary>True for the types that can carry gradients.</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 => 4,
        DType.Bool => 1,
        _ => 8,
    };

    /// <summary>
    /// The dtype whose element type is <typeparamref name="T"/>. Bool tensors store bytes (0 or 1) so that the
    /// numeric kernels serve them, and are read and written as bool at the API.
    /// </summary>
    internal static DType Of<T>() =>
        typeof(T) == typeof(float) ? DType.Float32 :
        typeof(T) == typeof(double) ? DType.Float64 :
        typeof(T) == typeof(long) ? DType.Int64 :
        typeof(T) == typeof(bool) || typeof(T) == typeof(byte) ? DType.Bool :
        throw new NotSupportedException($"no tensor dtype holds {typeof(T).Name}; use float, double, long or bool");
}
