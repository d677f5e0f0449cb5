namespace Backprop.Cuda.Kernels;

/// <summary>
/// The sizes of up to <see cref="MaxRank"/> dims, innermost last, passed to kernels by value (kernels take no
/// arrays of host memory). Dims are merged on the host first, so most layouts reach kernels as one or two dims.
/// </summary>
internal struct Dims
{
    public const int MaxRank = 6;
    public int Rank, D0, D1, D2, D3, D4, D5;

    public readonly int this[int d] => d switch { 0 => D0, 1 => D1, 2 => D2, 3 => D3, 4 => D4, _ => D5 };

    public void Set(int d, int value)
    {
        switch (d)
        {
            case 0: D0 = value; break;
            case 1: D1 = value; break;
            case 2: D2 = value; break;
            case 3: D3 = value; break;
            case 4: D4 = value; break;
            default: D5 = value; break;
        }
    }
}

/// <summary>
/// Where one operand's elements lie: an offset, and per dim of the shared <see cref="Dims"/> a stride (0 along
/// broadcast dims). <see cref="Kind"/> lets kernels skip the index arithmetic for contiguous and scalar operands.
/// </summary>
internal struct Operand
{
    public const int Contiguous = 0, Scalar = 1, Strided = 2;
    public int Kind, Offset;
    public Dims Strides;

    /// <summary>The storage index of the element at row-major position <paramref name="i"/> of
    /// <paramref name="shape"/>.</summary>
    public readonly int At(int i, Dims shape)
    {
        if (Kind == Contiguous) return Offset + i;
        if (Kind == Scalar) return Offset;
        int at = Offset;
        for (int d = shape.Rank - 1; d >= 0; d--)
        {
            int n = shape[d];
            at += i % n * Strides[d];
            i /= n;
        }
        return at;
    }
}

/// <summary>Builds the kernel-side <see cref="Dims"/> and <see cref="Operand"/>s of a strided layout on the
/// host.</summary>
internal static class Layouts
{
    /// <summary>
    /// Merges the dims of <paramref name="shape"/> that are contiguous with each other in every operand (as the CPU's
    /// Walk does), drops size-1 dims, and describes each operand over the merged dims.
    /// </summary>
    public static (Dims Shape, Operand[] Operands) Plan(int[] shape, int[] offsets, params int[][] strides)
    {
        int k = strides.Length;
        var (dims, kept) = Backprop.Kernels.Cpu.Walk.MergeDims(shape, strides);
        if (dims.Count > Dims.MaxRank)
            throw new NotSupportedException(
                $"cuda: a strided layout of shape {Shapes.Format(shape)} has {dims.Count} dims " +
                $"that cannot be merged; at most {Dims.MaxRank} are supported (make the tensor contiguous first)");
        var result = new Dims { Rank = dims.Count };
        for (int d = 0; d < dims.Count; d++) result.Set(d, dims[d]);
        var operands = new Operand[k];
        for (int o = 0; o < k; o++)
        {
            var op = new Operand { Offset = offsets[o], Kind = Operand.Strided };
            bool contiguous = true, scalar = true;
            int expected = 1;
            for (int d = dims.Count - 1; d >= 0; d--)
            {
                op.Strides.Set(d, kept[d][o]);
                if (kept[d][o] != expected) contiguous = false;
                if (kept[d][o] != 0) scalar = false;
                expected *= dims[d];
            }
            op.Kind = contiguous ? Operand.Contiguous : scalar ? Operand.Scalar : Operand.Strided;
            operands[o] = op;
        }
        return (result, operands);
    }
}
