namespace Backprop.Bench;

/// <summary>
/// The matrix products both benchmark programs measure (this file is linked into the TorchSharp baseline), so
/// their rows pair up by workload name. Each is a square product of the given size on the given thread count.
/// </summary>
public static class GemmCases
{
    /// <summary>One product: its row name, size, thread count, precision and the target Backprop is held to.</summary>
    public sealed record Case(string Name, int Size, int Threads, bool IsDouble, string? Target);

    /// <summary>SGEMM 1024 on 2 threads, SGEMM 256 on 1 thread, DGEMM 1024 on 2 threads.</summary>
    public static readonly Case[] All =
    [
        new("sgemm 1024x1024x1024 2T", 1024, 2, false, ">= 150"),
        new("sgemm 256x256x256 1T", 256, 1, false, ">= 80"),
        new("dgemm 1024x1024x1024 2T", 1024, 2, true, null),
    ];

    /// <summary>One small product: C (m×n) = op(A)·op(B) with A stored k×m when transposed, B stored n×k when transposed.</summary>
    public sealed record Small(int M, int N, int K, bool TransA, bool TransB);

    /// <summary>
    /// The five float products of one training step of a 2-100-3 network on 300 points: forward X·W1 and H·W2,
    /// backward Hᵀ·dS, dS·W2ᵀ and Xᵀ·dH. The row times all five, one after another, on 1 thread.
    /// </summary>
    public static readonly Small[] TinyStep =
    [
        new(300, 100, 2, false, false), new(300, 3, 100, false, false), new(100, 3, 300, true, false),
        new(300, 100, 3, false, true), new(2, 100, 300, true, false),
    ];

    /// <summary>The row name of <see cref="TinyStep"/>.</summary>
    public const string TinyStepName = "tiny-step matmuls (5) 1T";

    /// <summary>Floating-point operations in one product: a multiply and an add per term.</summary>
    public static double Flops(Case c) => 2.0 * c.Size * c.Size * c.Size;

    /// <summary>Calls per timed sample, so a sample lasts a few milliseconds or more.</summary>
    public static int InnerCalls(Case c) => Math.Max(1, (1 << 27) / c.Size / c.Size / c.Size);

    /// <summary>Timed samples per row.</summary>
    public const int Samples = 21;
}
