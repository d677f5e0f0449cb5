namespace Backprop;

public sealed partial class Tensor
{
    /// <summary>Seeds the calling thread's default generator (used by Rand and Randn without a generator).</summary>
    public static void ManualSeed(long seed) => Generator.Default.ManualSeed(seed);

    [ThreadStatic] private static DType t_defaultDType;  // Float32, the enum's zero, until set

    /// <summary>
    /// The calling thread's default floating dtype (Float32 unless set): creation functions given no dtype make it,
    /// and a C# double meeting an Int64 or Bool tensor in an op promotes the result to it, as in PyTorch. It is
    /// per thread, as grad mode and the default generator are.
    /// </summary>
    public static DType DefaultDType => t_defaultDType;

    /// <summary>Sets <see cref="DefaultDType"/> for the calling thread: Float32 or Float64.</summary>
    public static void SetDefaultDType(DType dtype)
    {
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"SetDefaultDType: the default dtype must be Float32 or Float64, got {dtype}");
        t_defaultDType = dtype;
    }

    private static Tensor Create(int[] shape, DType? dtype, Device? device, bool requiresGrad)
    {
        foreach (int s in shape)
            if (s < 0) throw new ArgumentException($"a shape cannot have a negative size: {Shapes.Format(shape)}");
        var t = Empty((int[])shape.Clone(), dtype ?? DefaultDType, device ?? Device.Cpu);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    private static Tensor FromSpan<T>(ReadOnlySpan<T> data, int[]? shape, bool requiresGrad, Device? device)
        where T : unmanaged
    {
        shape = shape is null ? [data.Length] : (int[])shape.Clone();
        if (Shapes.Numel(shape) != data.Length)
            throw new ArgumentException($"FromArray: {data.Length} values do not fill shape {Shapes.Format(shape)} " +
                $"({Shapes.Numel(shape)} elements)");
        var dev = device ?? Device.Cpu;
        var t = new Tensor(dev.Backend.FromArray(data), shape, Shapes.ContiguousStrides(shape), 0);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>A Float32 tensor holding a copy of <paramref name="data"/> (a vector unless a shape is
    /// given).</summary>
    public static Tensor FromArray(float[] data, int[]? shape = null, bool requiresGrad = false,
        Device? device = null) =>
        FromSpan<float>(data, shape, requiresGrad, device);

    /// <summary>A Float64 tensor holding a copy of <paramref name="data"/> (a vector unless a shape is
    /// given).</summary>
    public static Tensor FromArray(double[] data, int[]? shape = null, bool requiresGrad = false,
        Device? device = null) =>
        FromSpan<double>(data, shape, requiresGrad, device);

    /// <summary>An Int64 tensor holding a copy of <paramref name="data"/> (a vector unless a shape is given).</summary>
    public static Tensor FromArray(long[] data, int[]? shape = null, Device? device = null) =>
        FromSpan<long>(data, shape, false, device);

    /// <summary>A Bool tensor holding a copy of <paramref name="data"/> (a vector unless a shape is given).</summary>
    public static Tensor FromArray(bool[] data, int[]? shape = null, Device? device = null) =>
        FromSpan<byte>(Array.ConvertAll(data, b => b ? (byte)1 : (byte)0), shape, false, device);

    /// <summary>A 0-dim tensor holding one value (of <see cref="DefaultDType"/> unless a dtype is given).</summary>
    public static Tensor Scalar(double value, DType? dtype = null, bool requiresGrad = false) =>
        Full([], value, dtype, requiresGrad: requiresGrad);

    /// <summary>A tensor of zeros (of <see cref="DefaultDType"/> unless a dtype is given).</summary>
    public static Tensor Zeros(int[] shape, DType? dtype = null, bool requiresGrad = false, Device? device = null) =>
        Create(shape, dtype, device, requiresGrad);

    /// <summary>A tensor of ones (of <see cref="DefaultDType"/> unless a dtype is given).</summary>
    public static Tensor Ones(int[] shape, DType? dtype = null, bool requiresGrad = false, Device? device = null) =>
        Full(shape, 1, dtype, device, requiresGrad);

    /// <summary>
    /// A tensor with every element equal to <paramref name="value"/> (of <see cref="DefaultDType"/> unless a dtype is
    /// given).
    /// </summary>
    public static Tensor Full(int[] shape, double value, DType? dtype = null, Device? device = null,
        bool requiresGrad = false)
    {
        var t = Create(shape, dtype, device, false);
        if (value != 0) t.Backend.Fill(t, value);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>Zeros with the shape, dtype and device of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Empty(like.shape, like.DType, like.Device);

    /// <summary>Ones with the shape, dtype and device of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Full(like.shape, 1, like.DType, like.Device);

    /// <summary>The n×m identity matrix (m = n when omitted).</summary>
    public static Tensor Eye(int n, int? m = null, DType? dtype = null, bool requiresGrad = false)
    {
        int cols = m ?? n;
        var values = new double[n * cols];
        for (int i = 0; i < Math.Min(n, cols); i++) values[i * cols + i] = 1;
        return FromArray(values, [n, cols]).To(dtype ?? DefaultDType).RequiresGrad_(requiresGrad);
    }

    /// <summary>start, start+step, ... up to but excluding <paramref name="end"/>.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType? dtype = null)
    {
        if (step == 0 || double.IsNaN(step)) throw new ArgumentException($"Arange: step must be nonzero, got {step}");
        int n = (int)Math.Max(0, Math.Ceiling((end - start) / step));
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = start + i * step;
        return FromArray(values).To(dtype ?? DefaultDType);
    }

    /// <summary>0, 1, ... up to but excluding <paramref name="end"/>.</summary>
    public static Tensor Arange(double end, DType? dtype = null) => Arange(0, end, 1, dtype);

    /// <summary>
    /// <paramref name="steps"/> evenly spaced values from start to end inclusive; one step gives [start], as in
    /// PyTorch.
    /// </summary>
    public static Tensor Linspace(double start, double end, int steps, DType? dtype = null)
    {
        if (steps < 0) throw new ArgumentException($"Linspace: steps must be non-negative, got {steps}");
        if (steps == 1) return FromArray(new[] { start }).To(dtype ?? DefaultDType);
        var values = new double[steps];
        double delta = (end - start) / (steps - 1);
        // fill from both ends so the last value is exactly end, as PyTorch does
        for (int i = 0; i < steps; i++) values[i] = i < steps / 2 ? start + i * delta : end - (steps - 1 - i) * delta;
        return FromArray(values).To(dtype ?? DefaultDType);
    }

    /// <summary>Uniform samples in [0, 1) (of <see cref="DefaultDType"/> unless a dtype is given).</summary>
    public static Tensor Rand(int[] shape, DType? dtype = null, Generator? generator = null,
        bool requiresGrad = false) =>
        Sample(shape, dtype ?? DefaultDType, generator ?? Generator.Default, gaussian: false, requiresGrad);

    /// <summary>Standard normal samples (of <see cref="DefaultDType"/> unless a dtype is given).</summary>
    public static Tensor Randn(int[] shape, DType? dtype = null, Generator? generator = null,
        bool requiresGrad = false) =>
        Sample(shape, dtype ?? DefaultDType, generator ?? Generator.Default, gaussian: true, requiresGrad);

    private static Tensor Sample(int[] shape, DType dtype, Generator g, bool gaussian, bool requiresGrad)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"random tensors must be floating point, " +
            $"got {dtype}");
        var values = new double[Shapes.Numel(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = gaussian ? g.NextGaussian() : g.NextDouble();
        if (dtype == DType.Float64) return FromArray(values, shape, requiresGrad);
        var floats = new float[values.Length];
        for (int i = 0; i < values.Length; i++) floats[i] = (float)values[i];
        if (!gaussian)  // rounding to float can reach 1; keep the interval half-open
            for (int i = 0; i < floats.Length; i++) if (floats[i] == 1f) floats[i] = float.BitDecrement(1f);
        return FromArray(floats, shape, requiresGrad);
    }

    /// <summary>
    /// This tensor converted to <paramref name="dtype"/> (itself when it already has it); differentiable between float
    /// types. Floats convert to Int64 by truncation, numbers to Bool as "nonzero" (NaN included), Bool to 1 and 0.
    /// </summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var y = Empty(shape, dtype, Device);
        Backend.Convert(this, y);
        if (!dtype.IsFloatingPoint()) return y;
        var from = DType;
        return Op.Record("To", y, this, g => g.To(from), saved: []);
    }
}
