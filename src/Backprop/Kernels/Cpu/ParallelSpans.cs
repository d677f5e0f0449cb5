using System.Numerics;
using System.Numerics.Tensors;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Elementwise passes over long spans split into one contiguous chunk per thread: an optimizer's update, the zeroing
/// of gradients, and the elementwise kernels' contiguous paths (<see cref="CpuKernels"/>) run over whole activations
/// and parameters every step, and one core alone cannot pull memory at the rate two can. Each element is computed
/// exactly as in the one-thread pass, so results do not depend on the split.
/// </summary>
internal static unsafe class ParallelSpans
{
    /// <summary>Spans shorter than this stay on the calling thread: waking a worker costs more than it saves.</summary>
    public const int MinLength = 1 << 16;

    /// <summary>y ← y + a·x.</summary>
    public static void MultiplyAdd<T>(ReadOnlySpan<T> x, T a, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = Parts(y.Length);
        if (parts == 1) { TensorPrimitives.MultiplyAdd(x, a, y, y); return; }
        fixed (T* px = x, py = y)
        {
            var body = new Chunks<T> { X = px, Y = py, A = a, Length = y.Length, Parts = parts };
            ParallelFor.Run(parts, ref body, Threads.Count);
        }
    }

    /// <summary>y ← 0.</summary>
    public static void Clear<T>(Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = Parts(y.Length);
        if (parts == 1) { y.Clear(); return; }
        fixed (T* py = y)
        {
            var body = new Chunks<T> { Y = py, Length = y.Length, Parts = parts };
            ParallelFor.Run(parts, ref body, Threads.Count);
        }
    }

    /// <summary>
    /// How many chunks a pass over <paramref name="length"/> elements is split into: up to
    /// <see cref="ParallelFor.PartsFor"/> (run them with <c>ParallelFor.Run(parts, ref body, Threads.Count)</c>).
    /// </summary>
    public static int Parts(int length) =>
        length < 2 * MinLength ? 1 : Math.Min(ParallelFor.PartsFor(Threads.Count), length / MinLength);

    /// <summary>Where chunk <paramref name="part"/> of <paramref name="parts"/> starts in a pass over
    /// <paramref name="length"/> elements, and its length.</summary>
    public static (int Start, int Count) Chunk(int length, int part, int parts)
    {
        int start = (int)((long)length * part / parts);
        return (start, (int)((long)length * (part + 1) / parts) - start);
    }

    /// <summary>Chunk p of a pass: y += a·x, or y cleared when there is no x.</summary>
    private struct Chunks<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* X, Y;
        public T A;
        public int Length, Parts;

        public readonly void Invoke(int part)
        {
            var (start, count) = Chunk(Length, part, Parts);
            var y = new Span<T>(Y + start, count);
            if (X is null) y.Clear();
            else TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(X + start, count), A, y, y);
        }
    }
}
