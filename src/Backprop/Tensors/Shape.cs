using System.Text;

namespace Backprop;

/// <summary>Shape arithmetic: element counts, strides, broadcasting and dimension checks.</summary>
internal static class Shapes
{
    public static readonly int[] Scalar = [];

    /// <summary>Number of elements in a tensor of this shape.</summary>
    public static int Numel(int[] shape)
    {
        long n = 1;
        foreach (int s in shape) n *= s;
        if (n > int.MaxValue) throw new ArgumentException($"shape {Format(shape)} has {n} elements, more than a " +
            "tensor can hold");
        return (int)n;
    }

    /// <summary>Row-major strides of a contiguous tensor.</summary>
    public static int[] ContiguousStrides(int[] shape)
    {
        if (shape.Length == 0) return Scalar;
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { strides[i] = s; s *= Math.Max(shape[i], 1); }
        return strides;
    }

    /// <summary>True when the layout is row-major with no gaps (size-1 dims may have any stride).</summary>
    public static bool IsContiguous(int[] shape, int[] strides)
    {
        int expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 1) continue;
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    public static bool Equal(int[] a, int[] b) => a.AsSpan().SequenceEqual(b);

    /// <summary>The NumPy broadcast of two shapes; names the op and both shapes when they do not broadcast.</summary>
    public static int[] Broadcast(string op, int[] a, int[] b)
    {
        if (a.Length == b.Length && Equal(a, b)) return a;
        int n = Math.Max(a.Length, b.Length);
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i - (n - a.Length) >= 0 ? a[i - (n - a.Length)] : 1;
            int db = i - (n - b.Length) >= 0 ? b[i - (n - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast " +
                    $"(dim {i}: {da} vs {db})");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Strides that read a tensor of shape/strides as if expanded to <paramref name="target"/> (0 on broadcast
    /// dims).</summary>
    public static int[] BroadcastStrides(int[] shape, int[] strides, int[] target)
    {
        var result = new int[target.Length];
        int lead = target.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++)
            result[lead + i] = shape[i] == 1 && target[lead + i] != 1 ? 0 : strides[i];
        return result;
    }

    /// <summary>Turns a possibly negative dim into 0..rank-1, or explains which dim was wrong.</summary>
    public static int NormalizeDim(string op, int dim, int rank, int[] shape)
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(nameof(dim),
                $"{op}: dim {dim} is out of range for a tensor of rank {shape.Length} (shape {Format(shape)})");
        return dim < 0 ? dim + r : dim;
    }

    /// <summary>Resolves a requested shape with at most one -1 against a known element count.</summary>
    public static int[] Infer(string op, int[] from, int[] requested)
    {
        int numel = Numel(from), known = 1, infer = -1;
        for (int i = 0; i < requested.Length; i++)
        {
            if (requested[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"{op}: only one dimension can be -1 " +
                    $"in {Format(requested)}");
                infer = i;
            }
            else if (requested[i] < 0) throw new ArgumentException($"{op}: invalid size {requested[i]} " +
                $"in {Format(requested)}");
            else known *= requested[i];
        }
        var shape = (int[])requested.Clone();
        if (infer >= 0)
        {
            if (known == 0 || numel % known != 0)
                throw new ArgumentException($"{op}: cannot reshape {Format(from)} ({numel} elements) " +
                    $"into {Format(requested)}");
            shape[infer] = numel / known;
        }
        else if (known != numel)
            throw new ArgumentException($"{op}: cannot reshape {Format(from)} ({numel} elements) " +
                $"into {Format(requested)} ({known} elements)");
        return shape;
    }

    /// <summary>
    /// Strides that present the same elements in <paramref name="newShape"/> without copying, or null when the
    /// old layout's dims cannot be regrouped (each run of mutually contiguous old dims must map onto whole new dims).
    /// </summary>
    public static int[]? ViewStrides(int[] oldShape, int[] oldStrides, int[] newShape)
    {
        if (IsContiguous(oldShape, oldStrides) || Numel(oldShape) == 0) return ContiguousStrides(newShape);
        var newStrides = new int[newShape.Length];
        int v = newShape.Length - 1;
        long runNumel = 1, viewNumel = 1;
        int baseStride = oldStrides[^1];
        for (int d = oldShape.Length - 1; d >= 0; d--)
        {
            runNumel *= oldShape[d];
            bool runEnds = d == 0 || (oldShape[d - 1] != 1 && oldStrides[d - 1] != runNumel * baseStride);
            if (!runEnds) continue;
            while (v >= 0 && (viewNumel < runNumel || newShape[v] == 1))
            {
                newStrides[v] = (int)(viewNumel * baseStride);
                viewNumel *= newShape[v];
                v--;
            }
            if (viewNumel != runNumel) return null;
            if (d > 0) { baseStride = oldStrides[d - 1]; runNumel = 1; viewNumel = 1; }
        }
        return v == -1 ? newStrides : null;
    }

    /// <summary>Writes a shape as [3,4].</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++) { if (i > 0) sb.Append(','); sb.Append(shape[i]); }
        return sb.Append(']').ToString();
    }
}
