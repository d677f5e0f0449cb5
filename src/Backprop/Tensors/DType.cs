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
}

/// <summary>Facts about element types.</summary>
public static class DTypeExtensions
{
    /// <summary>True for the types that can carry gradients.</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype != DType.Int64;

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType dtype) => dtype == DType.Float32 ? 4 : 8;

    /// <summary>The dtype whose element type is <typeparamref name="T"/>.</summary>
    internal static DType Of<T>() =>
        typeof(T) == typeof(float) ? DType.Float32 :
        typeof(T) == typeof(double) ? DType.Float64 :
        typeof(T) == typeof(long) ? DType.Int64 :
        throw new NotSupportedException($"no tensor dtype holds {typeof(T).Name}; use float, double or long");
}
