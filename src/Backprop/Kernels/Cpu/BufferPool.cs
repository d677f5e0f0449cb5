namespace Backprop.Kernels.Cpu;

/// <summary>
/// CPU arrays proven dead (gradients the backward engine made and consumed, storages of an ended
/// <see cref="TensorScope"/>), kept by exact length for the next allocation of that length: a training loop then
/// stops allocating after its first step. Per thread, so it needs no lock; an array is cleared before reuse unless its taker overwrites it whole.
/// </summary>
internal static class BufferPool<T> where T : unmanaged
{
    // a fresh array this small costs less than the lookup
    private const int MinLength = 16;
    private const int PerLength = 16;

    [ThreadStatic] private static Dictionary<int, Stack<T[]>>? t_free;

    /// <summary>
    /// An array of <paramref name="length"/> elements, reused when one is pooled: zero-filled, or with
    /// unspecified contents when <paramref name="clear"/> is false and the caller overwrites all of it.
    /// </summary>
    public static T[] Rent(int length, bool clear = true)
    {
        if (length >= MinLength && t_free is { } free && free.TryGetValue(length, out var stack) && stack.TryPop(out var array))
        {
            if (clear) Array.Clear(array);
            return array;
        }
        return clear ? new T[length] : GC.AllocateUninitializedArray<T>(length);
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
