using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Batch normalization over a contiguous [N, C, S] block (S the spatial elements, 1 for [N, C]): a channel's N
/// planes of S elements give its mean and biased variance (two passes, as the tensor ops compute them), then
/// y = (x − mean)·rstd·weight + bias while the channel is still in cache; backward sums the channel's g and
/// g·(x − mean) and writes its input gradient in the same visit. Channels are split over the threads and a channel's
/// planes are added in order of n, so the bits do not depend on the thread count.
/// </summary>
internal static unsafe class BatchNormKernels
{
    private const int MinParallelElements = 1 << 15;

    /// <summary>
    /// y from x; when <paramref name="training"/>, each channel's mean and biased variance are computed into
    /// <paramref name="mean"/> and <paramref name="variance"/> [C], else read from them. Weight and bias [C] or null.
    /// </summary>
    public static void Forward<T>(Tensor x, Tensor? weight, Tensor? bias, double eps, bool training, Tensor mean,
        Tensor variance, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* px = Span<T>(x), py = Span<T>(y), pm = Span<T>(mean), pv = Span<T>(variance),
               pw = Span<T>(weight), pb = Span<T>(bias))
        {
            var body = new ChannelsForward<T>
            {
                Layout = Layout.Of(x), X = px, Y = py, Mean = pm, Variance = pv, Weight = pw, Bias = pb,
                Eps = T.CreateChecked(eps), Training = training,
            };
            ParallelFor.Run(body.Layout.Parts, ref body, Threads.Count);
        }
    }

    /// <summary>
    /// dx (when asked for) from the upstream gradient g, x and the statistics that normalized it; through the batch
    /// statistics when <paramref name="training"/>. dWeight = Σ g·x̂ and dBias = Σ g per channel, when asked for.
    /// </summary>
    public static void Backward<T>(Tensor g, Tensor x, Tensor? weight, Tensor mean, Tensor variance, double eps,
        bool training, Tensor? dx, Tensor? dWeight, Tensor? dBias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* pg = Span<T>(g), px = Span<T>(x), pw = Span<T>(weight), pm = Span<T>(mean),
               pv = Span<T>(variance), pdx = Span<T>(dx), pdw = Span<T>(dWeight), pdb = Span<T>(dBias))
        {
            var body = new ChannelsBackward<T>
            {
                Layout = Layout.Of(x), G = pg, X = px, Weight = pw, Mean = pm, Variance = pv, DX = pdx,
                DWeight = pdw, DBias = pdb, Eps = T.CreateChecked(eps), Training = training,
            };
            ParallelFor.Run(body.Layout.Parts, ref body, Threads.Count);
        }
    }

    // y ← y·scale + shift in one pass (TensorPrimitives' MultiplyAdd takes no scalar pair)
    private static void ScaleShift<T>(Span<T> y, T scale, T shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var (scales, shifts) = (Vector256.Create(scale), Vector256.Create(shift));
            ref T start = ref MemoryMarshal.GetReference(y);
            for (; i <= y.Length - Vector256<T>.Count; i += Vector256<T>.Count)
                (Vector256.LoadUnsafe(ref start, (nuint)i) * scales + shifts).StoreUnsafe(ref start, (nuint)i);
        }
        for (; i < y.Length; i++) y[i] = y[i] * scale + shift;
    }

    private static Span<T> Span<T>(Tensor? t) where T : unmanaged =>
        t is null ? default : CpuBackend.Data<T>(t).AsSpan(t.offset, t.Numel);

    /// <summary>Samples, channels, elements per plane, and how many chunks of channels the threads take.</summary>
    private readonly record struct Layout(int Samples, int Channels, int Plane, int Parts)
    {
        public static Layout Of(Tensor x)
        {
            int samples = x.shape[0], channels = x.shape[1];
            int plane = x.Numel / Math.Max(samples * channels, 1);
            int parts = x.Numel < MinParallelElements ? 1 : Math.Min(channels, ParallelFor.PartsFor(Threads.Count));
            return new(samples, channels, plane, Math.Max(parts, 1));
        }

        /// <summary>Plane (n, c) of a contiguous [N, C, S] block.</summary>
        public Span<T> PlaneAt<T>(T* data, int n, int c) where T : unmanaged =>
            new(data + ((long)n * Channels + c) * Plane, Plane);
    }

    private struct ChannelsForward<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Layout Layout;
        public T* X, Y, Mean, Variance, Weight, Bias;
        public T Eps;
        public bool Training;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Layout.Channels, part, Layout.Parts);
            T total = T.CreateChecked((long)Layout.Samples * Layout.Plane);
            for (int c = first; c < first + count; c++)
            {
                T mean = Mean[c];
                if (Training)
                {
                    T sum = T.Zero;
                    for (int n = 0; n < Layout.Samples; n++) sum += TensorPrimitives.Sum(Layout.PlaneAt(X, n, c));
                    mean = sum / total;
                }
                T squares = T.Zero;
                for (int n = 0; n < Layout.Samples; n++)
                {
                    var centred = Layout.PlaneAt(Y, n, c);
                    TensorPrimitives.Subtract(Layout.PlaneAt(X, n, c), mean, centred);
                    if (Training) squares += TensorPrimitives.SumOfSquares<T>(centred);
                }
                if (Training) (Mean[c], Variance[c]) = (mean, squares / total);
                T scale = T.One / T.Sqrt(Variance[c] + Eps) * (Weight == null ? T.One : Weight[c]);
                T shift = Bias == null ? T.Zero : Bias[c];
                for (int n = 0; n < Layout.Samples; n++)
                {
                    var y = Layout.PlaneAt(Y, n, c);
                    ScaleShift(y, scale, shift);
                }
            }
        }

    }

    // with x̂ = (x − mean)·rstd, in training dx = weight·rstd·(g − mean(g) − x̂·mean(g·x̂)), the gradient
    // through x̂ itself, the mean and the rstd; in evaluation the statistics are constants and dx = weight·rstd·g
    private struct ChannelsBackward<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Layout Layout;
        public T* G, X, Weight, Mean, Variance, DX, DWeight, DBias;
        public T Eps;
        public bool Training;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Layout.Channels, part, Layout.Parts);
            T total = T.CreateChecked((long)Layout.Samples * Layout.Plane);
            // x − mean goes to dx's plane when there is one (dx is then written over it), else to this scratch
            var scratch = DX == null ? CpuAllocator.RentScratch<T>(Layout.Plane) : null;
            for (int c = first; c < first + count; c++)
            {
                T mean = Mean[c], rstd = T.One / T.Sqrt(Variance[c] + Eps);
                T sumG = T.Zero, sumGCentred = T.Zero;
                if (Training || DWeight != null || DBias != null)
                    for (int n = 0; n < Layout.Samples; n++)
                    {
                        var g = Layout.PlaneAt(G, n, c);
                        var centred = DX == null ? scratch : Layout.PlaneAt(DX, n, c);
                        TensorPrimitives.Subtract(Layout.PlaneAt(X, n, c), mean, centred);
                        sumG += TensorPrimitives.Sum(g);
                        sumGCentred += TensorPrimitives.Dot<T>(g, centred);
                    }
                if (DWeight != null) DWeight[c] = sumGCentred * rstd;
                if (DBias != null) DBias[c] = sumG;
                if (DX == null) continue;
                T k = rstd * (Weight == null ? T.One : Weight[c]);
                // dx = k·g + β·(x − mean) + γ, the last two zero in evaluation
                T beta = Training ? -k * rstd * rstd * sumGCentred / total : T.Zero;
                T gamma = Training ? -k * sumG / total : T.Zero;
                for (int n = 0; n < Layout.Samples; n++)
                {
                    var dx = Layout.PlaneAt(DX, n, c);
                    if (Training)
                    {
                        ScaleShift(dx, beta, gamma);
                        TensorPrimitives.MultiplyAdd(Layout.PlaneAt(G, n, c), k, dx, dx);
                    }
                    else TensorPrimitives.Multiply(Layout.PlaneAt(G, n, c), k, dx);
                }
            }
            CpuAllocator.ReturnScratch(scratch);
        }

    }
}
