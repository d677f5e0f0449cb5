using System.Numerics;
using System.Numerics.Tensors;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Softmax along the rows of a contiguous [rows, n] block, forward and backward, one row at a time while it is in
/// cache (vectorized by TensorPrimitives); rows are split over the threads when the block is large enough.
/// </summary>
internal static unsafe class SoftmaxKernels
{
    private const int MinParallelElements = 1 << 15;

    /// <summary>y = e^(x − max) / Σ e^(x − max) for each row.</summary>
    public static void Forward<T>(Tensor x, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.shape[^1], rows = x.Numel / Math.Max(n, 1);
        fixed (T* px = CpuBackend.Data<T>(x).AsSpan(x.offset), py = CpuBackend.Data<T>(y).AsSpan(y.offset))
        {
            var body = new Rows<T> { X = px, Y = py, Width = n, Count = rows, Parts = PartsFor(rows, n) };
            ParallelFor.Run(body.Parts, ref body, Threads.Count);
        }
    }

    /// <summary>dx = y ⊙ (g − ⟨g, y⟩) for each row, from the softmax's output y and the upstream gradient
    /// g.</summary>
    public static void Backward<T>(Tensor y, Tensor g, Tensor dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.shape[^1], rows = y.Numel / Math.Max(n, 1);
        fixed (T* py = CpuBackend.Data<T>(y).AsSpan(y.offset), pg = CpuBackend.Data<T>(g).AsSpan(g.offset),
               pdx = CpuBackend.Data<T>(dx).AsSpan(dx.offset))
        {
            var body = new RowsBackward<T>
            {
                Y = py, G = pg, DX = pdx, Width = n, Count = rows, Parts = PartsFor(rows, n),
            };
            ParallelFor.Run(body.Parts, ref body, Threads.Count);
        }
    }

    private static int PartsFor(int rows, int width) => (long)rows * width < MinParallelElements
        ? 1 : Math.Min(rows, ParallelFor.PartsFor(Threads.Count));

    private struct Rows<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* X, Y;
        public int Width, Count, Parts;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Count, part, Parts);
            for (int r = first; r < first + count; r++)
            {
                var x = new ReadOnlySpan<T>(X + (long)r * Width, Width);
                var y = new Span<T>(Y + (long)r * Width, Width);
                TensorPrimitives.Subtract(x, TensorPrimitives.Max(x), y);   // a row of −∞ stays NaN, as in PyTorch
                TensorPrimitives.Exp(y, y);
                TensorPrimitives.Divide(y, TensorPrimitives.Sum<T>(y), y);
            }
        }
    }

    private struct RowsBackward<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Y, G, DX;
        public int Width, Count, Parts;

        public readonly void Invoke(int part)
        {
            var (first, count) = ParallelSpans.Chunk(Count, part, Parts);
            for (int r = first; r < first + count; r++)
            {
                long at = (long)r * Width;
                var y = new ReadOnlySpan<T>(Y + at, Width);
                var g = new ReadOnlySpan<T>(G + at, Width);
                var dx = new Span<T>(DX + at, Width);
                TensorPrimitives.Subtract(g, TensorPrimitives.Dot(g, y), dx);
                TensorPrimitives.Multiply(y, dx, dx);
            }
        }
    }
}
