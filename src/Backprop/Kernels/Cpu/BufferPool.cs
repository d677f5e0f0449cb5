namespace Backprop.Kernels.Cpu;

/// <summary>
/// Large CPU arrays that the backward engine proved dead (gradients it made and consumed in one pass), kept by
/// exact length for the next allocation of that length: a training loop's gradients then stop landing on the
/// large-object heap every step. Per thread, so it needs no lock; every array is cleared before it is handed out.
/// </summary>
internal static class BufferPool<T> where T : unmanaged
{
    // below the large-object threshold a fresh array is a cheap gen0 allocation, so pooling would only cost
    private const int MinLength = 16 * 1024;
    private const int PerLength = 8;

    [ThreadStatic] private static Dictionary<int, Stack<T[]>>? t_free;

    /// <summary>A zero-filled array of <paramref name="length"/> elements, reused when one is pooled.</summary>
    public static T[] Rent(int length)
    {
        if (length >= MinLength && t_free is { } free && free.TryGetValue(length, out var stack) && stack.TryPop(out var array))
        {
            Array.Clear(array);
            return array;
        }
        return new T[length];
    }

    /// <summary>Keeps <paramref name="array"/> for reuse; the caller guarantees nothing can read or write it any more.</summary>
    public static void Return(T[] array)
    {
        if (array.Length < MinLength) return;
        var free = t_free ??= [];
        if (!free.TryGetValue(array.Length, out var stack)) free[array.Length] = stack = new Stack<T[]>();
        if (stack.Count < PerLength) stack.Push(array);
    }
}
