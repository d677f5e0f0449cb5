namespace Backprop.Kernels.Cpu;

/// <summary>
/// Visits a strided layout row by row for several operands at once: dims that are contiguous with each other
/// in every operand are merged first, so a contiguous tensor is one long row and kernels run on whole spans.
/// </summary>
internal sealed class Walk
{
    private readonly int[] _shape;       // outer dims (all but the innermost)
    private readonly int[][] _strides;   // per operand, outer dims
    private readonly int[] _index;

    /// <summary>Number of rows, and elements per row.</summary>
    public readonly int Rows, Inner;
    /// <summary>Per operand: step between elements within a row.</summary>
    public readonly int[] InnerStrides;
    /// <summary>Per operand: where the current row starts.</summary>
    public readonly int[] Offsets;

    public Walk(int[] shape, int[] offsets, params int[][] strides)
    {
        int k = strides.Length;
        var (dims, kept) = MergeDims(shape, strides);
        Offsets = (int[])offsets.Clone();
        InnerStrides = new int[k];
        if (dims.Count == 0)
        {
            Rows = 1; Inner = 1; _shape = []; _strides = new int[k][]; _index = [];
            for (int o = 0; o < k; o++) _strides[o] = [];
            return;
        }
        Inner = dims[^1];
        for (int o = 0; o < k; o++) InnerStrides[o] = kept[^1][o];
        int outer = dims.Count - 1;
        _shape = new int[outer];
        _index = new int[outer];
        _strides = new int[k][];
        for (int o = 0; o < k; o++) _strides[o] = new int[outer];
        Rows = 1;
        for (int d = 0; d < outer; d++)
        {
            _shape[d] = dims[d];
            Rows *= dims[d];
            for (int o = 0; o < k; o++) _strides[o][d] = kept[d][o];
        }
        foreach (int n in shape) if (n == 0) Rows = 0;
    }

    /// <summary>
    /// The dims of <paramref name="shape"/> with size-1 dims dropped and neighbours merged wherever they are contiguous
    /// with each other in every operand, and each merged dim's stride per operand. Shared with the CUDA backend's
    /// layouts.
    /// </summary>
    internal static (List<int> Dims, List<int[]> Strides) MergeDims(int[] shape, int[][] strides)
    {
        int k = strides.Length;
        var dims = new List<int>(shape.Length);
        var kept = new List<int[]>(shape.Length);
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            var s = new int[k];
            for (int o = 0; o < k; o++) s[o] = strides[o][d];
            int last = dims.Count - 1;
            if (last >= 0 && Mergeable(kept[last], s, shape[d]))
            {
                dims[last] *= shape[d];
                kept[last] = s;
            }
            else { dims.Add(shape[d]); kept.Add(s); }
        }
        return (dims, kept);
    }

    // dim with strides `outer` followed by a dim of `innerSize` elements with strides `inner` form one dim when
    // stepping the outer dim equals stepping innerSize times along the inner one, for every operand.
    private static bool Mergeable(int[] outer, int[] inner, int innerSize)
    {
        for (int o = 0; o < outer.Length; o++) if (outer[o] != inner[o] * innerSize) return false;
        return true;
    }

    /// <summary>Moves to the start of row <paramref name="row"/> from the first (a walk not yet advanced), so parts of
    /// one pass can each walk their own rows.</summary>
    public void Skip(int row)
    {
        for (int d = _shape.Length - 1; d >= 0 && row > 0; d--)
        {
            _index[d] = row % _shape[d];
            row /= _shape[d];
            for (int o = 0; o < Offsets.Length; o++) Offsets[o] += _strides[o][d] * _index[d];
        }
    }

    /// <summary>Moves every operand's offset to the start of the next row.</summary>
    public void Next()
    {
        for (int d = _shape.Length - 1; d >= 0; d--)
        {
            for (int o = 0; o < Offsets.Length; o++) Offsets[o] += _strides[o][d];
            if (++_index[d] < _shape[d]) return;
            for (int o = 0; o < Offsets.Length; o++) Offsets[o] -= _strides[o][d] * _shape[d];
            _index[d] = 0;
        }
    }
}
