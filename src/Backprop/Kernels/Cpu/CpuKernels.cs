using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels.Cpu;

/// <summary>Span kernels for the CPU backend, specialized per element type and operator struct.</summary>
internal static class CpuKernels
{
    public static void Copy<T>(T[] src, int srcOffset, int[] srcStrides, T[] dst, int dstOffset, int[] dstStrides,
        int[] shape) where T : unmanaged
    {
        if (Shapes.IsContiguous(shape, srcStrides) && Shapes.IsContiguous(shape, dstStrides))
        {
            int count = Shapes.Numel(shape);
            src.AsSpan(srcOffset, count).CopyTo(dst.AsSpan(dstOffset, count));
            return;
        }
        // a permuted copy of a large tensor (heads split and merged, a transposed convolution's input) goes to the
        // threads by rows, each part walking its own
        int parts = ParallelSpans.Parts(Shapes.Numel(shape));
        var job = new StridedCopy<T>(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape, parts);
        if (parts == 1)
        {
            job.Invoke(0);
            return;
        }
        var handle = GCHandle.Alloc(job);
        try
        {
            var body = new HandleBody<StridedCopy<T>> { Job = GCHandle.ToIntPtr(handle) };
            ParallelFor.Run(parts, ref body, Threads.Count);
        }
        finally { handle.Free(); }
    }

    /// <summary>A part body that reaches a managed job through a GC handle (ParallelFor's bodies are
    /// unmanaged).</summary>
    private struct HandleBody<TJob> : IPartBody where TJob : class, IPartBody
    {
        public nint Job;

        public readonly void Invoke(int part) => ((TJob)GCHandle.FromIntPtr(Job).Target!).Invoke(part);
    }

    private sealed class StridedCopy<T>(T[] src, int srcOffset, int[] srcStrides, T[] dst, int dstOffset,
        int[] dstStrides, int[] shape, int parts) : IPartBody where T : unmanaged
    {
        public void Invoke(int part)
        {
            var walk = new Walk(shape, [srcOffset, dstOffset], srcStrides, dstStrides);
            var (first, rows) = ParallelSpans.Chunk(walk.Rows, part, parts);
            walk.Skip(first);
            int n = walk.Inner, ss = walk.InnerStrides[0], ds = walk.InnerStrides[1];
            for (int r = 0; r < rows; r++, walk.Next())
            {
                int s = walk.Offsets[0], d = walk.Offsets[1];
                if (ss == 1 && ds == 1) src.AsSpan(s, n).CopyTo(dst.AsSpan(d, n));
                else for (int i = 0; i < n; i++, s += ss, d += ds) dst[d] = src[s];
            }
        }
    }

    // long spans are split over the threads (ParallelSpans' rule); every element is computed as in one pass
    public static unsafe void Map<T, TOp>(ReadOnlySpan<T> x, Span<T> y, T p, T q)
        where T : unmanaged where TOp : IUnaryOperator<T>
    {
        int parts = ParallelSpans.Parts(x.Length);
        if (parts == 1) { MapSpan<T, TOp>(x, y, p, q); return; }
        fixed (T* px = x, py = y)
        {
            var body = new MapChunks<T, TOp> { X = px, Y = py, P = p, Q = q, Length = x.Length, Parts = parts };
            ParallelFor.Run(parts, ref body, Threads.Count);
        }
    }

    private static void MapSpan<T, TOp>(ReadOnlySpan<T> x, Span<T> y, T p, T q)
        where T : unmanaged where TOp : IUnaryOperator<T>
    {
        if (TOp.TryApply(x, y, p, q)) return;
        for (int i = 0; i < x.Length; i++) y[i] = TOp.Apply(x[i], p, q);
    }

    private unsafe struct MapChunks<T, TOp> : IPartBody where T : unmanaged where TOp : IUnaryOperator<T>
    {
        public T* X, Y;
        public T P, Q;
        public int Length, Parts;

        public readonly void Invoke(int part)
        {
            var (start, count) = ParallelSpans.Chunk(Length, part, Parts);
            MapSpan<T, TOp>(new ReadOnlySpan<T>(X + start, count), new Span<T>(Y + start, count), P, Q);
        }
    }

    public static void Compare<T, TOp>(Strided<T> a, Strided<T> b, byte[] y, int[] shape)
        where T : unmanaged where TOp : IComparison<T>
    {
        var walk = new Walk(shape, [a.Offset, b.Offset], a.Strides, b.Strides);
        int n = walk.Inner, sa = walk.InnerStrides[0], sb = walk.InnerStrides[1];
        T[] ad = a.Data, bd = b.Data;
        for (int r = 0, iy = 0; r < walk.Rows; r++, walk.Next())
        {
            int ia = walk.Offsets[0], ib = walk.Offsets[1];
            for (int i = 0; i < n; i++, ia += sa, ib += sb) y[iy++] = TOp.Apply(ad[ia], bd[ib]) ? (byte)1 : (byte)0;
        }
    }

    /// <summary>y = op(a, b) over a broadcast layout, a row at a time; rows with unit or zero strides go through
    /// spans.</summary>
    public static void Zip<T, TOp>(Strided<T> a, Strided<T> b, T[] y, int[] shape)
        where T : unmanaged where TOp : IBinaryOperator<T>
    {
        int count = Shapes.Numel(shape);
        bool aRuns = Shapes.IsContiguous(shape, a.Strides), bRuns = Shapes.IsContiguous(shape, b.Strides);
        if (aRuns && bRuns)
        {
            // one span each: skips the walk's setup, which dominates on small tensors
            ZipSpans<T, TOp>(a.Data.AsSpan(a.Offset, count), b.Data.AsSpan(b.Offset, count), y.AsSpan(0, count));
            return;
        }
        // one side a single element spread over the other (a reduction's gradient, a 0-dim scalar): no walk either
        if (bRuns && IsOneElement(a.Strides) && TOp.TryApply(a.Data[a.Offset], b.Data.AsSpan(b.Offset, count),
            y.AsSpan(0, count))) return;
        if (aRuns && IsOneElement(b.Strides) && TOp.TryApply(a.Data.AsSpan(a.Offset, count), b.Data[b.Offset],
            y.AsSpan(0, count))) return;
        var walk = new Walk(shape, [a.Offset, b.Offset], a.Strides, b.Strides);
        int n = walk.Inner, sa = walk.InnerStrides[0], sb = walk.InnerStrides[1];
        T[] ad = a.Data, bd = b.Data;
        if (TOp.HasVectorForm && sa is 0 or 1 && sb is 0 or 1)
        {
            ZipRowsByLanes<T, TOp>(walk, ad, bd, y);
            return;
        }
        for (int r = 0, iy = 0; r < walk.Rows; r++, iy += n, walk.Next())
        {
            int ia = walk.Offsets[0], ib = walk.Offsets[1];
            var dst = y.AsSpan(iy, n);
            if (sa == 1 && sb == 1 && TOp.TryApply(ad.AsSpan(ia, n), bd.AsSpan(ib, n), dst)) continue;
            if (sa == 1 && sb == 0 && TOp.TryApply(ad.AsSpan(ia, n), bd[ib], dst)) continue;
            if (sa == 0 && sb == 1 && TOp.TryApply(ad[ia], bd.AsSpan(ib, n), dst)) continue;
            for (int i = 0; i < n; i++, ia += sa, ib += sb) dst[i] = TOp.Apply(ad[ia], bd[ib]);
        }
    }

    // rows of a broadcast (a bias added to every row): the operator's vector form inline, a row costing no call;
    // compiled optimized at once, as its long loop would otherwise run unoptimized and then be compiled twice more
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ZipRowsByLanes<T, TOp>(Walk walk, T[] a, T[] b, T[] y)
        where T : unmanaged where TOp : IBinaryOperator<T>
    {
        int n = walk.Inner, sa = walk.InnerStrides[0], sb = walk.InnerStrides[1], w = Vector256<T>.Count;
        fixed (T* pa = a, pb = b, py = y)
            for (int r = 0; r < walk.Rows; r++, walk.Next())
            {
                T* ra = pa + walk.Offsets[0], rb = pb + walk.Offsets[1], ry = py + (nint)r * n;
                int i = 0;
                for (; i <= n - w; i += w)
                {
                    var va = sa == 0 ? Vector256.Create(*ra) : Vector256.Load(ra + i);
                    var vb = sb == 0 ? Vector256.Create(*rb) : Vector256.Load(rb + i);
                    TOp.Apply(va, vb).Store(ry + i);
                }
                for (; i < n; i++) ry[i] = TOp.Apply(ra[i * sa], rb[i * sb]);
            }
    }

    // contiguous operands: long spans are split over the threads (ParallelSpans' rule), each element as in one pass
    private static unsafe void ZipSpans<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        where T : unmanaged where TOp : IBinaryOperator<T>
    {
        int parts = ParallelSpans.Parts(y.Length);
        if (parts == 1) { ZipSpan<T, TOp>(a, b, y); return; }
        fixed (T* pa = a, pb = b, py = y)
        {
            var body = new ZipChunks<T, TOp> { A = pa, B = pb, Y = py, Length = y.Length, Parts = parts };
            ParallelFor.Run(parts, ref body, Threads.Count);
        }
    }

    private static void ZipSpan<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        where T : unmanaged where TOp : IBinaryOperator<T>
    {
        if (TOp.TryApply(a, b, y)) return;
        for (int i = 0; i < y.Length; i++) y[i] = TOp.Apply(a[i], b[i]);
    }

    private unsafe struct ZipChunks<T, TOp> : IPartBody where T : unmanaged where TOp : IBinaryOperator<T>
    {
        public T* A, B, Y;
        public int Length, Parts;

        public readonly void Invoke(int part)
        {
            var (start, count) = ParallelSpans.Chunk(Length, part, Parts);
            ZipSpan<T, TOp>(new ReadOnlySpan<T>(A + start, count), new ReadOnlySpan<T>(B + start, count),
                new Span<T>(Y + start, count));
        }
    }

    // every stride zero: each position reads the same element
    private static bool IsOneElement(int[] strides)
    {
        foreach (int s in strides) if (s != 0) return false;
        return true;
    }

    /// <summary>y = a where the Bool cond is true, else b.</summary>
    public static void Where<T>(Strided<byte> cond, Strided<T> a, Strided<T> b, T[] y, int[] shape) where T : unmanaged
    {
        var walk = new Walk(shape, [cond.Offset, a.Offset, b.Offset], cond.Strides, a.Strides, b.Strides);
        int n = walk.Inner, sc = walk.InnerStrides[0], sa = walk.InnerStrides[1], sb = walk.InnerStrides[2];
        // rows of a contiguous mask over contiguous or scalar operands (masked_fill's shape) select by vector lanes
        bool lanes = sc == 1 && sa is 0 or 1 && sb is 0 or 1 && Avx2.IsSupported
            && (Unsafe.SizeOf<T>() == 4 || Unsafe.SizeOf<T>() == 8);
        for (int r = 0, iy = 0; r < walk.Rows; r++, walk.Next())
        {
            int ic = walk.Offsets[0], ia = walk.Offsets[1], ib = walk.Offsets[2];
            int i = 0;
            if (lanes && n >= 8)
            {
                i = Unsafe.SizeOf<T>() == 4
                    ? SelectRow<T, int>(cond.Data, ic, a.Data, ia, sa, b.Data, ib, sb, y, iy, n)
                    : SelectRow<T, long>(cond.Data, ic, a.Data, ia, sa, b.Data, ib, sb, y, iy, n);
                (ic, ia, ib, iy) = (ic + i, ia + i * sa, ib + i * sb, iy + i);
            }
            for (; i < n; i++, ic += sc, ia += sa, ib += sb)
                y[iy++] = cond.Data[ic] != 0 ? a.Data[ia] : b.Data[ib];
        }
    }

    // y = cond ? a : b over whole vectors of a row, the elements' bits moved as TBits (int or long, T's size); a and b
    // advance by their stride, 0 (a broadcast scalar) or 1. Returns how many elements it wrote.
    private static unsafe int SelectRow<T, TBits>(byte[] cond, int ic, T[] a, int ia, int sa, T[] b, int ib, int sb,
        T[] y, int iy, int n) where T : unmanaged where TBits : unmanaged
    {
        int width = Vector256<TBits>.Count, done = n - n % width;
        fixed (byte* pc = &cond[ic])
        fixed (T* pa = &a[ia], pb = &b[ib], py = &y[iy])
            for (int i = 0; i < done; i += width)
            {
                // the mask bytes widened to the lanes' size, then all ones where they are not 0
                var bytes = Vector128.CreateScalarUnsafe(width == 8 ? *(long*)(pc + i) : *(int*)(pc + i)).AsByte();
                var keep = ~Vector256.Equals(width == 8 ? Avx2.ConvertToVector256Int32(bytes).As<int, TBits>()
                    : Avx2.ConvertToVector256Int64(bytes).As<long, TBits>(), Vector256<TBits>.Zero);
                var first = sa == 1 ? Vector256.Load((TBits*)(pa + i)) : Vector256.Create(*(TBits*)pa);
                var second = sb == 1 ? Vector256.Load((TBits*)(pb + i)) : Vector256.Create(*(TBits*)pb);
                Vector256.ConditionalSelect(keep, first, second).Store((TBits*)(py + i));
            }
        return done;
    }

    public static void Reduce<T, TOp>(ReadOnlySpan<T> x, T[] y) where T : unmanaged where TOp : IReduceOperator<T>
    {
        if (y.Length == 0) return;
        int row = x.Length / y.Length;
        for (int r = 0; r < y.Length; r++) y[r] = TOp.Reduce(x.Slice(r * row, row));
    }

    public static void ArgReduce<T>(bool max, ReadOnlySpan<T> x, long[] y) where T : unmanaged, INumber<T>
    {
        if (y.Length == 0) return;
        int row = x.Length / y.Length;
        for (int r = 0; r < y.Length; r++)
        {
            var s = x.Slice(r * row, row);
            y[r] = max ? TensorPrimitives.IndexOfMax(s) : TensorPrimitives.IndexOfMin(s);
        }
    }

    /// <summary>y[i] = x[i with dim replaced by index[i]] for every position i of the index.</summary>
    public static void Gather<T>(Strided<T> x, int dim, Strided<long> index, T[] y, int[] indexShape)
        where T : unmanaged
    {
        int dimStride = x.Strides[dim];
        var xStrides = (int[])x.Strides.Clone();
        xStrides[dim] = 0;
        var walk = new Walk(indexShape, [x.Offset, index.Offset], xStrides, index.Strides);
        int n = walk.Inner, sx = walk.InnerStrides[0], si = walk.InnerStrides[1];
        for (int r = 0, iy = 0; r < walk.Rows; r++, walk.Next())
        {
            int ix = walk.Offsets[0], ii = walk.Offsets[1];
            for (int i = 0; i < n; i++, ix += sx, ii += si) y[iy++] = x.Data[ix + (int)index.Data[ii] * dimStride];
        }
    }

    /// <summary>y[i with dim replaced by index[i]] += src[i] for every position i of the index.</summary>
    public static void ScatterAdd<T>(Strided<T> y, int dim, Strided<long> index, Strided<T> src, int[] indexShape)
        where T : unmanaged, INumber<T>
    {
        int dimStride = y.Strides[dim];
        var yStrides = (int[])y.Strides.Clone();
        yStrides[dim] = 0;
        var walk = new Walk(indexShape, [y.Offset, index.Offset, src.Offset], yStrides, index.Strides, src.Strides);
        int n = walk.Inner, sy = walk.InnerStrides[0], si = walk.InnerStrides[1], ss = walk.InnerStrides[2];
        for (int r = 0; r < walk.Rows; r++, walk.Next())
        {
            int iy = walk.Offsets[0], ii = walk.Offsets[1], isrc = walk.Offsets[2];
            for (int i = 0; i < n; i++, iy += sy, ii += si, isrc += ss)
                y.Data[iy + (int)index.Data[ii] * dimStride] += src.Data[isrc];
        }
    }
}
