using Backprop.Kernels.Cpu;

namespace Backprop.Tests.Kernels;

/// <summary>Batched products (convolution's shapes): separate items, shared operands, and items summed into one C.</summary>
public class GemmBatchTests
{
    // small and packed items, ragged tiles, several k slices, a shared A or B (stride 0), both layouts of each operand
    public static TheoryData<int, int, int, int, bool, bool, bool> Cases() => new()
    {
        { 5, 7, 3, 4, false, false, false },
        { 32, 1024, 27, 3, false, false, false },
        { 64, 256, 288, 3, false, false, false },
        { 288, 256, 64, 3, true, false, false },
        { 64, 288, 256, 3, false, true, true },
        { 32, 27, 1024, 2, false, true, true },
        { 13, 17, 700, 3, true, true, true },
        { 7, 9, 11, 5, false, false, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Items_match_a_triple_loop_and_the_bits_do_not_depend_on_the_thread_count(int m, int n, int k, int batch,
        bool transA, bool transB, bool sumBatch)
    {
        int lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 1, ldc = n + 3;
        int aMatrix = (transA ? k : m) * lda, bMatrix = (transB ? n : k) * ldb, cMatrix = m * ldc;
        // separate items share A, as convolution shares its weight; summed items each have their own A and B
        int aBatch = sumBatch ? aMatrix : 0, bBatch = bMatrix, cBatch = sumBatch ? 0 : cMatrix;
        var random = new Random(m * 31 + n * 7 + k + batch);
        float[] Fill(int length) => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var a = Fill(aMatrix + (batch - 1) * aBatch);
        var b = Fill(bMatrix + (batch - 1) * bBatch);
        var c = Fill(cMatrix + (batch - 1) * cBatch);
        const float alpha = 1.5f, beta = -0.5f;

        var expected = c.Select(v => (double)v).ToArray();
        var magnitude = new double[c.Length];
        for (int s = 0; s < batch; s++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = 0, size = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double x = a[s * aBatch + (transA ? p * lda + i : i * lda + p)], y = b[s * bBatch + (transB ? j * ldb + p : p * ldb + j)];
                        sum += x * y;
                        size += Math.Abs(x * y);
                    }
                    int at = s * cBatch + i * ldc + j;
                    bool first = !sumBatch || s == 0;
                    expected[at] = alpha * sum + (first ? beta * expected[at] : expected[at]);
                    magnitude[at] += Math.Abs(alpha) * size + (first ? Math.Abs(beta * c[at]) : 0) + 1e-30;
                }

        float[]? single = null;
        foreach (int threads in new[] { 1, 2 })
        {
            var result = (float[])c.Clone();
            Gemm.MultiplyBatch(transA, transB, m, n, k, a, lda, aBatch, b, ldb, bBatch, result, ldc, cBatch, batch, sumBatch, alpha, beta, threads);
            for (int s = 0; s < (sumBatch ? 1 : batch); s++)
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        int at = s * cBatch + i * ldc + j;
                        double error = Math.Abs(result[at] - expected[at]) / magnitude[at];
                        Assert.True(error <= 1e-6 * (k * batch + 2), $"item {s}: C[{i},{j}] = {result[at]}, expected {expected[at]}");
                    }
                    // the padding after each row of C is never written
                    for (int j = n; j < ldc && s * cBatch + i * ldc + j < c.Length; j++)
                        Assert.Equal(c[s * cBatch + i * ldc + j], result[s * cBatch + i * ldc + j]);
                }
            single ??= result;
            Assert.Equal(single, result);
        }
    }

    [Fact]
    public void An_item_of_a_batch_has_the_bits_of_the_same_product_alone()
    {
        const int m = 64, n = 256, k = 288, batch = 3;
        var random = new Random(4);
        float[] Fill(int length) => Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
        float[] a = Fill(m * k), b = Fill(batch * k * n), batched = new float[batch * m * n], alone = new float[m * n];
        Gemm.MultiplyBatch(false, false, m, n, k, a, k, 0, b, n, k * n, batched, n, m * n, batch, sumBatch: false, 1f, 0f, threads: 2);
        Gemm.Multiply(false, false, m, n, k, a, k, b.AsSpan(2 * k * n), n, alone, n, 1f, 0f, threads: 2);
        Assert.Equal(alone, batched[(2 * m * n)..]);
    }

    [Fact]
    public void Operands_too_short_for_the_last_item_are_refused()
    {
        var a = new float[6];
        var b = new float[12];
        var c = new float[8];
        var shortB = Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyBatch(false, false, 2, 2, 3, a, 3, 0, b, 2, 6, c, 2, 4, 3, false, 1f, 0f, threads: 1));
        Assert.Equal("b", shortB.ParamName);
        Assert.Equal(new float[8], c);
    }

    [Fact]
    public void A_summed_batch_with_k_zero_scales_c_once()
    {
        float[] c = [1, 2, 3, 4];
        Gemm.MultiplyBatch(false, false, 2, 2, 0, [], 0, 0, [], 2, 0, c, 2, 0, 3, true, 1f, 2f, threads: 1);
        Assert.Equal([2f, 4, 6, 8], c);
    }
}
