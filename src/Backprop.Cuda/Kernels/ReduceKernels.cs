using ILGPU;

namespace Backprop.Cuda.Kernels;

/// <summary>
/// Row reductions: one group per row, each thread folding a strided share of the row, then a tree in shared
/// memory. Group sizes are powers of two up to <see cref="MaxGroup"/>.
/// </summary>
internal static class ReduceKernels
{
    public const int MaxGroup = 256;

    /// <summary>y[row] = Σ, max or min (kind 0, 1, 2) of x[row·length .. +length), NaN winning max and min.</summary>
    public static void Reduce<T, A>(ArrayView<T> x, ArrayView<T> y, int length, int kind)
        where T : unmanaged where A : struct, IArith<T>
    {
        var shared = SharedMemory.Allocate<T>(MaxGroup);
        int row = Grid.IdxX, tid = Group.IdxX, threads = Group.DimX;
        bool sum = kind == 0, max = kind == 1;
        var arith = default(A);
        T acc = sum ? arith.FromDouble(0) : arith.Lowest(max);
        for (int j = tid; j < length; j += threads)
        {
            T v = x[row * length + j];
            acc = sum ? arith.Add(acc, v) : arith.Beats(max, v, acc) ? v : acc;
        }
        shared[tid] = acc;
        Group.Barrier();
        for (int half = threads / 2; half > 0; half /= 2)
        {
            if (tid < half)
            {
                T other = shared[tid + half];
                shared[tid] = sum
                    ? arith.Add(shared[tid], other)
                    : arith.Beats(max, other, shared[tid]) ? other : shared[tid];
            }
            Group.Barrier();
        }
        if (tid == 0) y[row] = shared[0];
    }

    /// <summary>y[row] = the first index of the row's max (or min); a NaN counts as the extreme, as on the
    /// CPU.</summary>
    public static void ArgReduce<T, A>(ArrayView<T> x, ArrayView<long> y, int length, int findMax)
        where T : unmanaged where A : struct, IArith<T>
    {
        var values = SharedMemory.Allocate<T>(MaxGroup);
        var positions = SharedMemory.Allocate<int>(MaxGroup);
        int row = Grid.IdxX, tid = Group.IdxX, threads = Group.DimX;
        bool max = findMax != 0;
        var arith = default(A);
        T best = arith.Lowest(max);
        int at = -1;
        for (int j = tid; j < length; j += threads)
        {
            T v = x[row * length + j];
            if (at < 0 || arith.Beats(max, v, best)) { best = v; at = j; }
        }
        values[tid] = best;
        positions[tid] = at;
        Group.Barrier();
        for (int half = threads / 2; half > 0; half /= 2)
        {
            if (tid < half)
            {
                int otherAt = positions[tid + half], mineAt = positions[tid];
                T other = values[tid + half], mine = values[tid];
                // the other half holds later positions of each stride, so it wins only by being strictly better,
                // or equal with an earlier position (possible across strides)
                bool take = otherAt >= 0
                    && (mineAt < 0 || arith.Beats(max, other, mine)
                        || (!arith.Beats(max, mine, other) && otherAt < mineAt));
                if (take) { values[tid] = other; positions[tid] = otherAt; }
            }
            Group.Barrier();
        }
        if (tid == 0) y[row] = positions[0];
    }
}
