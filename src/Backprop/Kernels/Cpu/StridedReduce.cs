namespace Backprop.Kernels.Cpu;

/// <summary>
/// Reductions of a strided view whose kept dims come first and reduced dims last, without first copying it into
/// row order: either the kept dims are one unit-stride run (a sum over leading dims, as a bias gradient), so each
/// reduced position folds a whole run into y, or the reduced dims end in unit-stride runs that are reduced as spans.
/// </summary>
internal static class StridedReduce
{
    // below this many kept elements, folding whole runs into y costs more per element than reducing each separately
    private const int MinRun = 8;

    /// <summary>Reduces x into y when its layout allows one of the two plans; false (nothing written)
    /// otherwise.</summary>
    public static bool TryReduce<T, TOp>(T[] x, int offset, int[] shape, int[] strides, T[] y)
        where T : unmanaged where TOp : IReduceOperator<T>
    {
        int kept = KeptRank(shape, y.Length);
        if (kept < 0 || y.Length == 0 || Shapes.Numel(shape) == 0) return false;
        int[] keptShape = shape[..kept], keptStrides = strides[..kept], reducedShape = shape[kept..],
            reducedStrides = strides[kept..];
        if (y.Length >= MinRun && Shapes.IsContiguous(keptShape, keptStrides))
        {
            FoldRuns<T, TOp>(x, offset, reducedShape, reducedStrides, y);
            return true;
        }
        // one walk of the reduced layout serves every kept element: a full pass returns its offset to 0
        var reducedWalk = new Walk(reducedShape, [0], reducedStrides);
        if (reducedWalk.InnerStrides[0] != 1 && reducedWalk.Inner > 1) return false;
        var keptWalk = new Walk(keptShape, [offset], keptStrides);
        for (int r = 0, iy = 0; r < keptWalk.Rows; r++, keptWalk.Next())
            for (int i = 0, start = keptWalk.Offsets[0]; i < keptWalk.Inner; i++, start += keptWalk.InnerStrides[0])
                y[iy++] = ReduceRuns<T, TOp>(x, start, reducedWalk);
        return true;
    }

    // how many leading dims hold the kept elements (their product is y's length), or -1
    private static int KeptRank(int[] shape, int keptCount)
    {
        long product = 1;
        for (int d = 0; d <= shape.Length; d++)
        {
            if (product == keptCount && (d == shape.Length || shape[d] != 1)) return d;
            if (d == shape.Length || product > keptCount) return -1;
            product *= shape[d];
        }
        return -1;
    }

    // y = fold over every reduced position of the unit-stride run of y.Length kept elements that starts there
    private static void FoldRuns<T, TOp>(T[] x, int offset, int[] reducedShape, int[] reducedStrides, T[] y)
        where T : unmanaged where TOp : IReduceOperator<T>
    {
        int n = y.Length;
        var walk = new Walk(reducedShape, [offset], reducedStrides);
        bool first = true;
        for (int r = 0; r < walk.Rows; r++, walk.Next())
            for (int i = 0, start = walk.Offsets[0]; i < walk.Inner; i++, start += walk.InnerStrides[0])
            {
                var run = x.AsSpan(start, n);
                if (first) { run.CopyTo(y); first = false; }
                else TOp.Fold(y, run, y);
            }
    }

    // the reduction of the elements at start + the reduced layout, a unit-stride run at a time
    private static T ReduceRuns<T, TOp>(T[] x, int start, Walk walk)
        where T : unmanaged where TOp : IReduceOperator<T>
    {
        T acc = default;
        for (int r = 0; r < walk.Rows; r++, walk.Next())
        {
            T part = TOp.Reduce(x.AsSpan(start + walk.Offsets[0], walk.Inner));
            acc = r == 0 ? part : TOp.Combine(acc, part);
        }
        return acc;
    }
}
