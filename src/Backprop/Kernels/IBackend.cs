namespace Backprop.Kernels;

/// <summary>Elementwise one-input kernels; p and q are the op's scalar parameters where it has any.</summary>
public enum UnaryKernel
{
    /// <summary>-x</summary>
    Neg,
    /// <summary>|x|</summary>
    Abs,
    /// <summary>sign(x) in {-1, 0, 1}</summary>
    Sign,
    /// <summary>e^x</summary>
    Exp,
    /// <summary>ln x</summary>
    Log,
    /// <summary>√x</summary>
    Sqrt,
    /// <summary>tanh x</summary>
    Tanh,
    /// <summary>1/(1+e^-x)</summary>
    Sigmoid,
    /// <summary>max(x, 0)</summary>
    Relu,
    /// <summary>x if x &gt; 0 else p·x</summary>
    LeakyRelu,
    /// <summary>x·Φ(x)</summary>
    Gelu,
    /// <summary>0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))</summary>
    GeluTanh,
    /// <summary>Φ(x), the standard normal CDF</summary>
    NormalCdf,
    /// <summary>x·σ(x)</summary>
    Silu,
    /// <summary>ln(1 + e^x), equal to x above 20 as in PyTorch</summary>
    Softplus,
    /// <summary>x + p</summary>
    AddScalar,
    /// <summary>x·p</summary>
    MulScalar,
    /// <summary>p - x</summary>
    RSubScalar,
    /// <summary>p / x</summary>
    RDivScalar,
    /// <summary>x^p</summary>
    PowScalar,
    /// <summary>min(max(x, p), q)</summary>
    Clamp,
    /// <summary>1 where p ≤ x ≤ q, else 0</summary>
    InRange,
}

/// <summary>Elementwise two-input kernels (broadcasting); comparisons give 1 or 0 in the inputs' dtype.</summary>
public enum BinaryKernel
{
    /// <summary>a + b</summary>
    Add,
    /// <summary>a - b</summary>
    Sub,
    /// <summary>a · b</summary>
    Mul,
    /// <summary>a / b</summary>
    Div,
    /// <summary>a ^ b</summary>
    Pow,
    /// <summary>max(a, b), NaN if either is NaN</summary>
    Maximum,
    /// <summary>min(a, b), NaN if either is NaN</summary>
    Minimum,
    /// <summary>a &gt; b</summary>
    Gt,
    /// <summary>a ≥ b</summary>
    Ge,
    /// <summary>a &lt; b</summary>
    Lt,
    /// <summary>a ≤ b</summary>
    Le,
    /// <summary>a = b</summary>
    Eq,
}

/// <summary>Reductions over the trailing elements of each row.</summary>
public enum ReduceKernel
{
    /// <summary>Σ</summary>
    Sum,
    /// <summary>max</summary>
    Max,
    /// <summary>min</summary>
    Min,
}

/// <summary>
/// The storage and kernels of one device. Ops call these after validating their arguments; a backend never
/// sees autograd. Output tensors passed in are freshly allocated and contiguous unless stated otherwise.
/// </summary>
public interface IBackend
{
    /// <summary>Zero-filled storage of <paramref name="length"/> elements.</summary>
    Storage Allocate(DType dtype, int length);

    /// <summary>Storage holding a copy of <paramref name="data"/>.</summary>
    Storage FromArray<T>(ReadOnlySpan<T> data) where T : unmanaged;

    /// <summary>The elements of <paramref name="x"/> in row-major order, in its own element type.</summary>
    T[] ToArray<T>(Tensor x) where T : unmanaged;

    /// <summary>Sets every element of the contiguous <paramref name="y"/>.</summary>
    void Fill(Tensor y, double value);

    /// <summary>Copies <paramref name="src"/> into <paramref name="dst"/> (same shape and dtype; dst may be a strided view).</summary>
    void Copy(Tensor src, Tensor dst);

    /// <summary>Copies <paramref name="src"/> into <paramref name="dst"/> of another dtype, converting each element.</summary>
    void Convert(Tensor src, Tensor dst);

    /// <summary>y = k(x; p, q) elementwise, x and y of the same shape.</summary>
    void Unary(UnaryKernel k, Tensor x, Tensor y, double p, double q);

    /// <summary>y = k(a, b) elementwise, a and b broadcast to y's shape.</summary>
    void Binary(BinaryKernel k, Tensor a, Tensor b, Tensor y);

    /// <summary>y = cond ≠ 0 ? a : b, all three broadcast to y's shape (cond of y's dtype).</summary>
    void Where(Tensor cond, Tensor a, Tensor b, Tensor y);

    /// <summary>Reduces each of y.Numel rows of the (possibly strided) <paramref name="x"/>, whose trailing dims form the rows.</summary>
    void Reduce(ReduceKernel k, Tensor x, Tensor y);

    /// <summary>As <see cref="Reduce"/>, writing the first index of the row's max (or min) into the Int64 <paramref name="y"/>.</summary>
    void ArgReduce(bool max, Tensor x, Tensor y);

    /// <summary>Batched matrix product: a [..., m, k] and b [..., k, n] already expanded to y's batch dims; y [..., m, n].</summary>
    void MatMul(Tensor a, Tensor b, Tensor y);

    /// <summary>y[..i..] = x[..index[..i..] at dim..] (indices already validated).</summary>
    void Gather(Tensor x, int dim, Tensor index, Tensor y);

    /// <summary>y[..index[..i..] at dim..] += src[..i..] in place on the contiguous y (indices already validated).</summary>
    void ScatterAdd(Tensor y, int dim, Tensor index, Tensor src);

    /// <summary>The first element of the Int64 <paramref name="index"/> outside [0, size), or null if all are in range.</summary>
    long? FindOutOfRange(Tensor index, int size);

    /// <summary>True when no element is NaN or infinite.</summary>
    bool AllFinite(Tensor x);
}

/// <summary>Backends for devices other than the CPU, registered by the assemblies that provide them.</summary>
public static class Backends
{
    private static readonly Dictionary<Device, IBackend> s_registered = [];

    /// <summary>Makes <paramref name="backend"/> serve tensors on <paramref name="device"/>.</summary>
    public static void Register(Device device, IBackend backend)
    {
        lock (s_registered) s_registered[device] = backend;
    }

    internal static IBackend? Get(Device device)
    {
        lock (s_registered) return s_registered.GetValueOrDefault(device);
    }
}
