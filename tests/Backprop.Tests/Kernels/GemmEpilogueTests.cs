using System.Numerics;
using Backprop.Kernels.Cpu;

namespace Backprop.Tests.Kernels;

/// <summary>
/// A product's epilogue (bias per column or per row, then ReLU) must give, on every kernel path, the bits of the plain
/// product followed by the same steps as separate passes: it only moves work, never changes a sum.
/// </summary>
public unsafe class GemmEpilogueTests
{
    // the dot-product kernel (C narrower than a tile), k ≤ 4 in one pass, one to three rows, a small product computed as
    // Cᵀ (A stored transposed, C narrow), a small product in place, packed products split by rows and by columns with
    // ragged tiles, and several slices of k (the epilogue must wait for the last)
    public static TheoryData<int, int, int, bool, bool> Paths() => new()
    {
        { 300, 3, 100, false, true }, { 300, 100, 2, false, true }, { 2, 100, 300, false, false }, { 300, 5, 40, true, false },
        { 37, 41, 60, false, false }, { 150, 70, 300, false, true }, { 7, 500, 700, true, false }, { 128, 512, 784, false, true },
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Bias_and_relu_in_the_product_equal_them_applied_after_it(int m, int n, int k, bool transA, bool transB)
    {
        foreach (int threads in new[] { 1, 2 })
            foreach (var (biasPerRow, relu) in new[] { (false, false), (false, true), (true, true), (true, false) })
            {
                Check<float>(m, n, k, transA, transB, biasPerRow, relu, threads);
                Check<double>(m, n, k, transA, transB, biasPerRow, relu, threads);
            }
    }

    [Fact]
    public void Relu_alone_clears_negatives_and_keeps_nan()
    {
        var a = new float[] { 1, -1, float.NaN, 2 };  // 4 × 1
        var b = new float[] { 3 };                    // 1 × 1
        var c = new float[4];
        Gemm.Multiply(false, false, 4, 1, 1, a, 1, b, 1, c, 1, 1f, 0f, 1, new GemmEpilogue<float>(null, biasPerRow: false, relu: true));
        Assert.Equal(new[] { 3f, 0f, float.NaN, 6f }, c);
    }

    [Fact]
    public void With_k_zero_the_epilogue_finishes_beta_times_c()
    {
        var c = new float[] { 1, -2, 3, -4, 5, -6 };  // 2 × 3
        var bias = new float[] { 10, 20, 30 };
        fixed (float* pb = bias)
            Gemm.Multiply<float>(false, false, 2, 3, 0, [], 1, [], 3, c, 3, 1f, 2f, 1, new GemmEpilogue<float>(pb, biasPerRow: false, relu: true));
        Assert.Equal(new float[] { 12, 16, 36, 2, 30, 18 }, c);
    }

    // conv's shapes: items sharing A with a bias per row of each item's C, and items summed into one C (finished once)
    [Theory]
    [InlineData(32, 1024, 27, 3, false)]
    [InlineData(64, 256, 288, 2, false)]
    [InlineData(5, 7, 3, 4, false)]
    [InlineData(13, 17, 700, 3, true)]
    [InlineData(64, 288, 256, 3, true)]
    public void A_batch_finishes_each_item_or_the_summed_c_once(int m, int n, int k, int batch, bool sumBatch)
    {
        var random = new Random(m + n + k);
        float[] Fill(int length) => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        int aBatch = sumBatch ? m * k : 0, bBatch = k * n, cBatch = sumBatch ? 0 : m * n, outputs = sumBatch ? 1 : batch;
        var a = Fill(m * k + (batch - 1) * aBatch);
        var b = Fill(k * n + (batch - 1) * bBatch);
        var bias = Fill(m);
        foreach (int threads in new[] { 1, 2 })
        {
            var plain = new float[m * n * outputs];
            var finished = new float[m * n * outputs];
            Gemm.MultiplyBatch(false, false, m, n, k, a, k, aBatch, b, n, bBatch, plain, n, cBatch, batch, sumBatch, 1f, 0f, threads);
            fixed (float* pb = bias)
                Gemm.MultiplyBatch(false, false, m, n, k, a, k, aBatch, b, n, bBatch, finished, n, cBatch, batch, sumBatch, 1f, 0f, threads,
                    new GemmEpilogue<float>(pb, biasPerRow: true, relu: true));
            for (int i = 0; i < plain.Length; i++)
                Assert.Equal(ReluOf(plain[i] + bias[i / n % m]), finished[i]);
        }
    }

    private static void Check<T>(int m, int n, int k, bool transA, bool transB, bool biasPerRow, bool relu, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(m * 7 + n * 3 + k);
        T[] Fill(int length) => Enumerable.Range(0, length).Select(_ => T.CreateChecked(random.NextDouble() * 2 - 1)).ToArray();
        int ldc = n + 2;
        var a = Fill(m * k);
        var b = Fill(k * n);
        var bias = Fill(biasPerRow ? m : n);
        bias[bias.Length / 2] = T.NaN;
        var plain = Fill(m * ldc);
        var finished = (T[])plain.Clone();
        Gemm.Multiply(transA, transB, m, n, k, a, transA ? m : k, b, transB ? k : n, plain, ldc, T.One, T.Zero, threads);
        fixed (T* pb = bias)
            Gemm.Multiply(transA, transB, m, n, k, a, transA ? m : k, b, transB ? k : n, finished, ldc, T.One, T.Zero, threads,
                new GemmEpilogue<T>(pb, biasPerRow, relu));
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                T sum = plain[i * ldc + j];
                // the padding past column n is never touched
                T expected = j >= n ? sum : relu ? ReluOf(sum + bias[biasPerRow ? i : j]) : sum + bias[biasPerRow ? i : j];
                Assert.True(expected.Equals(finished[i * ldc + j]),
                    $"{typeof(T).Name} {m}×{n}×{k} row bias {biasPerRow}, relu {relu}, {threads} threads: ({i}, {j}) is {finished[i * ldc + j]}, expected {expected}");
            }
    }

    private static T ReluOf<T>(T x) where T : IFloatingPointIeee754<T> => x > T.Zero || T.IsNaN(x) ? x : T.Zero;
}
