using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Layer normalization over the rows of a contiguous [rows, n] block: each row's mean and biased variance (two
/// passes, as the tensor ops compute them), y = (x − mean)·rstd·weight + bias, and in the backward pass each row's
/// input gradient while the row is in cache. Rows are split over the threads; the weight and bias gradients add
/// the rows up in their order, on column slabs, so their bits do not depend on the thread count.
/// </summary>
internal static unsafe class LayerNormKernels
{
    private const int MinParallelElements = 1 << 15;

    /// <summary>y, and each row's mean and rstd = 1/√(var + eps) [rows]; weight and bias [n] or null.</summary>
    public static void Forward<T>(Tensor x, Tensor? weight, Tensor? bias, double eps, Tensor y, Tensor mean,
        Tensor rstd) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = mean.Numel, n = x.Numel / Math.Max(rows, 1);
        fixed (T* px = Span<T>(x), py = Span<T>(y), pm = Span<T>(mean), pr = Span<T>(rstd), pw = Span<T>(weight),
               pb = Span<T>(bias))
        {
            var body = new RowsForward<T>
            {
                X = px, Y = py, Mean = pm, Rstd = pr, Weight = pw, Bias = pb, Eps = T.CreateChecked(eps), Width = n,
                Count = rows, Parts = PartsFor(rows, n),
            };
            ParallelFor.Run(body.Parts, ref body, Threads.Count);
        }
    }

    /// <summary>
    /// dx from the upstream gradient g, x and the saved mean and rstd; dWeight = Σ rows g·x̂ and dBias = Σ rows g
    /// when asked for (x̂ = (x − mean)·rstd).
    /// </summary>
    public static void Backward<T>(Tensor g, Tensor x, Tensor? weight, Tensor mean, Tensor rstd, Tensor? dx,
        Tensor? dWeight, Tensor? dBias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Numel / Math.Max(mean.Numel, 1), rows = mean.Numel;
        fixed (T* pg = Span<T>(g), px = Span<T>(x), pw = Span<T>(weight), pm = Span<T>(mean), pr = Span<T>(rstd),
               pdx = Span<T>(dx), pdw = Span<T>(dWeight), pdb = Span<T>(dBias))
        {
            if (dx is not null)
            {
                var body = new RowsBackward<T>
                {
                    G = pg, X = px, Weight = pw, Mean = pm, Rstd = pr, DX = pdx, Width = n, Count = rows,
                    Parts = PartsFor(rows, n),
                };
                ParallelFor.Run(body.Parts, ref body, Threads.Count);
            }
            if (dWeight is null && dBias is null) return;
            int slabs = (long)rows * n < MinParallelElements ? 1 : Math.Min(ParallelFor.PartsFor(Threads.Count),
                Math.Max(1, n / Vector256<T>.Count));
            var sums = new ColumnSums<T>
            {
                G = pg, X = px, Mean = pm, Rstd = pr, DWeight = pdw, DBias = pdb, Width = n, Count = rows,
                Parts = slabs,
            };
            ParallelFor.Run(slabs, ref sums, Threads.Count);
        }
    }

    private static Span<T> Span<T>(Tensor? t) where T : unmanaged =>
        t is null ? default : CpuBackend.Data<T>(t).AsSpan(t.offset, t.Numel);

    private static int PartsFor(int rows, int width) => (long)rows * width < MinParallelElements
        ? 1 : Math.Min(rows, ParallelFor.PartsFor(Threads.Count));

    private struct RowsForward<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* X, Y, Mean, Rstd, Weight, Bias;
        public T Eps;
        public int Width, Count, Parts;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Count, part, Parts);
            T n = T.CreateChecked(Width);
            for (int r = first; r < first + count; r++)
            {
                var x = new ReadOnlySpan<T>(X + (long)r * Width, Width);
                var y = new Span<T>(Y + (long)r * Width, Width);
                T mean = TensorPrimitives.Sum(x) / n;
                TensorPrimitives.Subtract(x, mean, y);
                T rstd = T.One / T.Sqrt(TensorPrimitives.SumOfSquares<T>(y) / n + Eps);
                (Mean[r], Rstd[r]) = (mean, rstd);
                TensorPrimitives.Multiply(y, rstd, y);
                if (Weight != null) TensorPrimitives.Multiply(y, new ReadOnlySpan<T>(Weight, Width), y);
                if (Bias != null) TensorPrimitives.Add(y, new ReadOnlySpan<T>(Bias, Width), y);
            }
        }
    }

    // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·weight: the gradient through x̂ itself, its
    // mean and its rstd
    private struct RowsBackward<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* G, X, Weight, Mean, Rstd, DX;
        public int Width, Count, Parts;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Count, part, Parts);
            var scaled = new T[Width];
            T n = T.CreateChecked(Width);
            for (int r = first; r < first + count; r++)
            {
                long at = (long)r * Width;
                var g = new ReadOnlySpan<T>(G + at, Width);
                var xHat = new Span<T>(DX + at, Width);   // x̂ first, then dx in its place
                TensorPrimitives.Subtract(new ReadOnlySpan<T>(X + at, Width), Mean[r], xHat);
                TensorPrimitives.Multiply(xHat, Rstd[r], xHat);
                if (Weight != null) TensorPrimitives.Multiply(g, new ReadOnlySpan<T>(Weight, Width), scaled);
                else g.CopyTo(scaled);
                T meanScaled = TensorPrimitives.Sum<T>(scaled) / n;
                T meanProjection = TensorPrimitives.Dot<T>(scaled, xHat) / n;
                InputGradient(scaled, meanScaled, meanProjection, Rstd[r], xHat);
            }
        }

        // x̂ ← rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), by vectors with the scalar rule's operations, so the
        // same bits
        private static void InputGradient(ReadOnlySpan<T> scaled, T meanScaled, T meanProjection, T rstd, Span<T> xHat)
        {
            ref T s = ref MemoryMarshal.GetReference(scaled);
            ref T x = ref MemoryMarshal.GetReference(xHat);
            var (ms, mp, r) = (Vector256.Create(meanScaled), Vector256.Create(meanProjection), Vector256.Create(rstd));
            int w = Vector256<T>.Count, j = 0;
            for (; j <= xHat.Length - w; j += w)
                (r * (Vector256.LoadUnsafe(ref s, (nuint)j) - ms - Vector256.LoadUnsafe(ref x, (nuint)j) * mp))
                    .StoreUnsafe(ref x, (nuint)j);
            for (; j < xHat.Length; j++) xHat[j] = rstd * (scaled[j] - meanScaled - xHat[j] * meanProjection);
        }
    }

    // each part owns a slab of columns and adds every row into it in row order
    private struct ColumnSums<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* G, X, Mean, Rstd, DWeight, DBias;
        public int Width, Count, Parts;

        public readonly void Invoke(int part)
        {
            var (first, width) = ParallelSpans.Chunk(Width, part, Parts);
            T* dWeight = DWeight == null ? null : DWeight + first, dBias = DBias == null ? null : DBias + first;
            if (dWeight != null) new Span<T>(dWeight, width).Clear();
            if (dBias != null) new Span<T>(dBias, width).Clear();
            for (int r = 0; r < Count; r++)
            {
                long at = (long)r * Width + first;
                AddRow(G + at, X + at, Mean[r], Rstd[r], dWeight, dBias, width);
            }
        }

        // dBias += g and dWeight += g·x̂ over one row's slab in one pass, x̂ = (x − mean)·rstd rounded at each
        // step and the product added unfused, as the separate span operations did
        private static void AddRow(T* g, T* x, T mean, T rstd, T* dWeight, T* dBias, int width)
        {
            var (m, r) = (Vector256.Create(mean), Vector256.Create(rstd));
            int w = Vector256<T>.Count, j = 0;
            for (; j <= width - w; j += w)
            {
                var gj = Vector256.Load(g + j);
                if (dBias != null) (Vector256.Load(dBias + j) + gj).Store(dBias + j);
                if (dWeight != null)
                    (Vector256.Load(dWeight + j) + gj * ((Vector256.Load(x + j) - m) * r)).Store(dWeight + j);
            }
            for (; j < width; j++)
            {
                if (dBias != null) dBias[j] += g[j];
                if (dWeight != null) dWeight[j] += g[j] * ((x[j] - mean) * rstd);
            }
        }
    }
}
