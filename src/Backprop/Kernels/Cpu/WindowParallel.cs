using System.Numerics;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Runs the <see cref="WindowKernels"/> split over rows of the columns (im2col) or [N·C] planes (col2im, pooling) on
/// <see cref="Threads.Count"/> threads; every part writes its own rows or planes, so results do not depend on the
/// split.
/// </summary>
internal static unsafe class WindowParallel
{
    private enum Kind { Im2Col, Col2Im, MaxPool, MaxPoolBackward, AvgPool, AvgPoolBackward }

    // below this many output elements a call runs on the calling thread: waking workers would cost more
    private const int MinParallelWork = 1 << 15;

    public static void Im2Col<T>(ReadOnlySpan<T> x, Window2d w, Span<T> columns)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(Kind.Im2Col, x, w, columns, default, w.C * w.KernelH * w.KernelW, columns.Length);

    public static void Col2Im<T>(ReadOnlySpan<T> columns, Window2d w, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(Kind.Col2Im, columns, w, dx, default, w.N * w.C, columns.Length);

    public static void MaxPool<T>(ReadOnlySpan<T> x, Window2d w, Span<T> y, Span<long> indices)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(Kind.MaxPool, x, w, y, indices, w.N * w.C, x.Length);

    public static void MaxPoolBackward<T>(ReadOnlySpan<T> g, ReadOnlySpan<long> winners, Window2d w, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (long* i = winners)   // read only: the shared body carries one writable indices pointer
            Run(Kind.MaxPoolBackward, g, w, dx, new Span<long>(i, winners.Length), w.N * w.C, dx.Length);
    }

    public static void AvgPool<T>(ReadOnlySpan<T> x, Window2d w, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(Kind.AvgPool, x, w, y, default, w.N * w.C, x.Length);

    public static void AvgPoolBackward<T>(ReadOnlySpan<T> g, Window2d w, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(Kind.AvgPoolBackward, g, w, dx, default, w.N * w.C, dx.Length);

    private static void Run<T>(Kind kind, ReadOnlySpan<T> src, Window2d w, Span<T> dst, Span<long> indices, int count,
        int work)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = work < MinParallelWork ? 1 : Math.Min(ParallelFor.PartsFor(Threads.Count), count);
        fixed (T* s = src, d = dst)
        fixed (long* i = indices)
        {
            var body = new Body<T>
            {
                Kind = kind, Window = w, Src = s, SrcLength = src.Length, Dst = d, DstLength = dst.Length,
                Indices = i, IndicesLength = indices.Length, Count = count, Parts = Math.Max(parts, 1),
            };
            ParallelFor.Run(body.Parts, ref body, Threads.Count);
        }
    }

    private struct Body<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Kind Kind;
        public Window2d Window;
        public T* Src, Dst;
        public long* Indices;
        public int SrcLength, DstLength, IndicesLength, Count, Parts;

        public readonly void Invoke(int part)
        {
            int lo = (int)((long)Count * part / Parts), hi = (int)((long)Count * (part + 1) / Parts);
            var src = new ReadOnlySpan<T>(Src, SrcLength);
            var dst = new Span<T>(Dst, DstLength);
            switch (Kind)
            {
                case Kind.Im2Col: WindowKernels.Im2Col(src, Window, dst, lo, hi); break;
                case Kind.Col2Im: WindowKernels.Col2Im(src, Window, dst, lo, hi); break;
                case Kind.MaxPool:
                    WindowKernels.MaxPool(src, Window, dst, new Span<long>(Indices, IndicesLength), lo, hi); break;
                case Kind.MaxPoolBackward: WindowKernels.MaxPoolBackward(src, Window, dst,
                    new ReadOnlySpan<long>(Indices, IndicesLength), lo, hi); break;
                case Kind.AvgPool: WindowKernels.AvgPool(src, Window, dst, lo, hi); break;
                default: WindowKernels.AvgPoolBackward(src, Window, dst, lo, hi); break;
            }
        }
    }
}
