using System.Numerics;
using Backprop.Kernels.Cpu;
using CsCheck;

namespace Backprop.Tests.Kernels;

public class GemmTests
{
    /// <summary>One product to check: sizes, layout, scalars, and extra stride padding on every operand.</summary>
    public sealed record Case(int M, int N, int K, bool TransA, bool TransB, double Alpha = 1, double Beta = 0, int Padding = 0)
    {
        public int Lda => (TransA ? M : K) + Padding;
        public int Ldb => (TransB ? K : N) + Padding;
        public int Ldc => N + Padding;
        public int ALength => Math.Max(0, (TransA ? K : M) - 1) * Lda + (TransA ? M : K);
        public int BLength => Math.Max(0, (TransB ? N : K) - 1) * Ldb + (TransB ? K : N);
        public int CLength => Math.Max(0, M - 1) * Ldc + N;
    }

    // 1, primes, both sides of the 6-row and 8/16-column tiles, the small-product cutoff, several k blocks,
    // row splits and column splits across threads; thin products for the dot-product and few-row kernels
    // (columns below one tile with k beyond a vector and a ragged tail, one to three rows with ragged column blocks).
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (1, 7, 3), (5, 1, 2), (6, 16, 1), (7, 17, 5), (5, 15, 31), (12, 32, 8), (13, 33, 64),
        (2, 100, 300), (300, 3, 100), (300, 100, 2), (37, 41, 600), (150, 70, 300), (7, 500, 700), (300, 257, 129),
        (3, 100, 300), (1, 65, 9), (128, 10, 515), (33, 15, 1000),
    ];

    public static TheoryData<int, int, int, bool, bool> ShapesAndLayouts()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        foreach (var (m, n, k) in Shapes)
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    data.Add(m, n, k, transA, transB);
        return data;
    }

    [Theory]
    [MemberData(nameof(ShapesAndLayouts))]
    public void Sgemm_matches_a_double_precision_triple_loop_on_one_and_two_threads(int m, int n, int k, bool transA, bool transB)
    {
        Check<float>(new Case(m, n, k, transA, transB, Alpha: 1.5, Beta: -0.5, Padding: 3), threads: [1, 2]);
    }

    [Theory]
    [MemberData(nameof(ShapesAndLayouts))]
    public void Dgemm_matches_a_double_precision_triple_loop_on_one_and_two_threads(int m, int n, int k, bool transA, bool transB)
    {
        Check<double>(new Case(m, n, k, transA, transB, Alpha: -0.75, Beta: 2, Padding: 1), threads: [1, 2]);
    }

    [Theory]
    [InlineData(1.0, 0.0)]
    [InlineData(1.0, 1.0)]
    [InlineData(0.0, 1.0)]
    [InlineData(-2.0, 0.5)]
    public void Alpha_and_beta_combine_with_c_for_small_and_packed_products(double alpha, double beta)
    {
        foreach (var (m, n, k) in new[] { (7, 9, 11), (150, 70, 300) })
        {
            Check<float>(new Case(m, n, k, false, true, alpha, beta), threads: [2]);
            Check<double>(new Case(m, n, k, true, false, alpha, beta), threads: [2]);
        }
    }

    [Fact]
    public void Beta_zero_never_reads_c_so_nan_there_does_not_leak()
    {
        foreach (var (m, n, k) in new[] { (7, 9, 11), (150, 70, 300) })
        {
            var (a, b, _) = Operands<float>(new Case(m, n, k, false, false), seed: 3);
            var c = Enumerable.Repeat(float.NaN, m * n).ToArray();
            Gemm.Sgemm(false, false, m, n, k, a, k, b, n, c, n);
            Assert.All(c, value => Assert.True(float.IsFinite(value)));
        }
    }

    [Fact]
    public void Random_shapes_and_layouts_match_the_triple_loop() =>
        Gen.Select(Gen.Int[1, 48], Gen.Int[1, 48], Gen.Int[1, 80], Gen.Bool, Gen.Bool, Gen.Int[0, 4])
            .Sample((m, n, k, transA, transB, padding) =>
                Check<float>(new Case(m, n, k, transA, transB, Alpha: 0.5, Beta: 1.25, Padding: padding), threads: [2]),
                iter: 300, threads: 1);

    [Fact]
    public void Few_row_tiles_read_b_in_place_only_where_the_read_stays_inside_b() =>
        Gen.Select(Gen.Int[1, 40], Gen.Int[1, 70], Gen.Int[0, 9], Gen.Int[1, 4]).Sample((k, n, padding, vectors) =>
        {
            int ldb = n + padding, width = 8 * vectors, end = (k - 1) * ldb + n;
            for (int j0 = 0; j0 < n; j0 += 32)
            {
                int rows = GemmSkinnyKernels.RowsReadableInPlace(k, n, ldb, j0, width);
                Assert.InRange(rows, 0, k);
                if (rows > 0) Assert.True((rows - 1) * ldb + j0 + width <= end, $"row {rows - 1} reads past the end");
                if (rows < k) Assert.True(rows * ldb + j0 + width > end, $"row {rows} could have been read in place");
            }
        }, iter: 500, threads: 1);

    // Row-major A is read in place by whole six-row panels (its ragged last rows packed), except at a stride that is
    // a multiple of 4 KB, where it is packed: every other test pads the rows, so this one takes the packing path.
    [Fact]
    public void Row_major_a_at_a_4_kb_stride_is_packed_and_matches_the_triple_loop()
    {
        Check<float>(new Case(50, 40, 1024, false, false, Alpha: 1.5, Beta: -0.5), threads: [1, 2]);
        Check<double>(new Case(50, 40, 512, false, false, Alpha: 1.5, Beta: -0.5), threads: [1, 2]);
    }

    [Fact]
    public void The_same_product_twice_gives_the_same_bits()
    {
        var test = new Case(300, 257, 129, true, false, Beta: 1);
        var (a, b, c) = Operands<float>(test, seed: 5);
        var first = (float[])c.Clone();
        var second = (float[])c.Clone();
        Gemm.Sgemm(true, false, test.M, test.N, test.K, a, test.Lda, b, test.Ldb, first, test.Ldc, 1f, 1f);
        Gemm.Sgemm(true, false, test.M, test.N, test.K, a, test.Lda, b, test.Ldb, second, test.Ldc, 1f, 1f);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Zero_k_scales_c_by_beta_and_empty_m_or_n_leaves_c_alone()
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        Gemm.Sgemm(false, false, 2, 3, 0, [], 0, [], 3, c, 3, alpha: 7f, beta: 2f);
        Assert.Equal([2f, 4, 6, 8, 10, 12], c);
        Gemm.Sgemm(false, false, 2, 3, 0, [], 0, [], 3, c, 3);
        Assert.Equal(new float[6], c);
        double[] untouched = [1, 2, 3];
        Gemm.Dgemm(false, false, 0, 3, 4, [], 4, new double[12], 3, untouched, 3);
        Gemm.Dgemm(false, false, 1, 0, 4, new double[4], 4, [], 0, untouched, 0);
        Assert.Equal([1.0, 2, 3], untouched);
    }

    [Fact]
    public void Padding_between_rows_of_c_is_never_written()
    {
        foreach (var (m, n, k) in new[] { (7, 9, 11), (150, 70, 300) })
        {
            var test = new Case(m, n, k, false, false, Beta: 1, Padding: 5);
            var (a, b, c) = Operands<float>(test, seed: 9);
            for (int i = 0; i < m - 1; i++) c.AsSpan(i * test.Ldc + n, 5).Fill(-99f);
            Gemm.Sgemm(false, false, m, n, k, a, test.Lda, b, test.Ldb, c, test.Ldc, 1f, 1f);
            for (int i = 0; i < m - 1; i++) Assert.All(c.AsSpan(i * test.Ldc + n, 5).ToArray(), value => Assert.Equal(-99f, value));
        }
    }

    [Fact]
    public void Repeated_products_allocate_nothing_once_the_packing_buffers_exist()
    {
        foreach (var (m, n, k) in new[] { (7, 9, 11), (150, 70, 300) })
        {
            var (a, b, c) = Operands<float>(new Case(m, n, k, false, true), seed: 13);
            Gemm.Multiply(false, true, m, n, k, a, k, b, k, c, n, 1f, 0f, threads: 1);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 3; i++) Gemm.Multiply(false, true, m, n, k, a, k, b, k, c, n, 1f, 0f, threads: 1);
            Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        }
    }

    [Fact]
    public void The_reference_fallback_matches_the_triple_loop()
    {
        var test = new Case(13, 17, 19, true, true, Alpha: 2, Beta: 0.5, Padding: 2);
        var (a, b, c) = Operands<double>(test, seed: 11);
        var expected = Oracle(test, a, b, c);
        GemmReference.Multiply(true, true, test.M, test.N, test.K, a, test.Lda, b, test.Ldb, c, test.Ldc, 2.0, 0.5);
        AssertClose(test, expected, c, tolerance: 1e-12);
    }

    [Fact]
    public void Bad_sizes_and_strides_are_refused_naming_the_value_and_c_is_untouched()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        var m = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, -1, 2, 3, a, 3, b, 2, c, 2));
        Assert.Contains("-1", m.Message);
        var lda = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 2, 2, 3, a, 2, b, 2, c, 2));
        Assert.Equal("lda", lda.ParamName);
        Assert.Contains("lda = 2", lda.Message);
        var shortC = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, a, 3, b, 2, c, 3));
        Assert.Equal("c", shortC.ParamName);
        Assert.Contains("5", shortC.Message);
        var shortB = Assert.Throws<ArgumentException>(() => Gemm.Dgemm(false, true, 2, 2, 3, new double[6], 3, new double[5], 3, new double[4], 2));
        Assert.Equal("b", shortB.ParamName);
        Assert.Equal(new float[4], c);
    }

    /// <summary>
    /// Runs the product on each thread count, checks it against the oracle, and checks that every thread count
    /// gives the same bits (threads split C into whole tiles, never the sum over k).
    /// </summary>
    private static void Check<T>(Case test, int[] threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (a, b, c) = Operands<T>(test, seed: test.M * 7919 + test.N * 104729 + test.K);
        var expected = Oracle(test, a, b, c);
        T[]? first = null;
        foreach (int count in threads)
        {
            var result = (T[])c.Clone();
            Gemm.Multiply(test.TransA, test.TransB, test.M, test.N, test.K, a, test.Lda, b, test.Ldb, result, test.Ldc,
                T.CreateChecked(test.Alpha), T.CreateChecked(test.Beta), count);
            AssertClose(test, expected, result, tolerance: typeof(T) == typeof(float) ? 1e-6 : 1e-14);
            if (first is null) first = result;
            else Assert.True(first.AsSpan().SequenceEqual(result), $"{test}: {count} threads changed the result bits");
        }
    }

    private static (T[] A, T[] B, T[] C) Operands<T>(Case test, int seed) where T : unmanaged, INumber<T>
    {
        var random = new Random(seed);
        T[] Fill(int length) => Enumerable.Range(0, length).Select(_ => T.CreateChecked(random.NextDouble() * 2 - 1)).ToArray();
        return (Fill(test.ALength), Fill(test.BLength), Fill(test.CLength));
    }

    /// <summary>The expected C in double, and for each element the sum of magnitudes that bounds its rounding error.</summary>
    private static (double[] Value, double[] Scale) Oracle<T>(Case test, T[] a, T[] b, T[] c) where T : unmanaged, INumber<T>
    {
        double[] da = a.Select(double.CreateChecked).ToArray(), db = b.Select(double.CreateChecked).ToArray();
        var value = new double[test.CLength];
        var scale = new double[test.CLength];
        foreach (int i in CheckedRows(test.M))
            for (int j = 0; j < test.N; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < test.K; p++)
                {
                    double x = test.TransA ? da[p * test.Lda + i] : da[i * test.Lda + p];
                    double y = test.TransB ? db[j * test.Ldb + p] : db[p * test.Ldb + j];
                    sum += x * y;
                    magnitude += Math.Abs(x * y);
                }
                double old = double.CreateChecked(c[i * test.Ldc + j]);
                value[i * test.Ldc + j] = test.Alpha * sum + (test.Beta == 0 ? 0 : test.Beta * old);
                scale[i * test.Ldc + j] = Math.Abs(test.Alpha) * magnitude + Math.Abs(test.Beta * old) + 1e-30;
            }
        return (value, scale);
    }

    /// <summary>
    /// The rows of C compared with the oracle: all of them for small products; for tall ones every 7th row
    /// (which crosses every residue of the 6-row tile) and the last 13, to keep the slow triple loop short.
    /// Every element is still compared across thread counts.
    /// </summary>
    private static IEnumerable<int> CheckedRows(int m) =>
        Enumerable.Range(0, m).Where(i => m <= 64 || i % 7 == 0 || i >= m - 13);

    private static void AssertClose<T>(Case test, (double[] Value, double[] Scale) expected, T[] actual, double tolerance)
        where T : unmanaged, INumber<T>
    {
        // Rounding error of a k-term sum grows at most linearly in k, relative to the sum of magnitudes.
        double bound = tolerance * (test.K + 2);
        foreach (int i in CheckedRows(test.M))
            for (int j = 0; j < test.N; j++)
            {
                int at = i * test.Ldc + j;
                double error = Math.Abs(double.CreateChecked(actual[at]) - expected.Value[at]) / expected.Scale[at];
                if (!(error <= bound))
                    Assert.Fail($"{test}: C[{i},{j}] = {actual[at]}, expected {expected.Value[at]} (relative error {error:G3} > {bound:G3})");
            }
    }
}
