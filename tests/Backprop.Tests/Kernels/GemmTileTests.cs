using System.Numerics;
using System.Runtime.Intrinsics;
using Backprop.Kernels.Cpu;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The register tiles give every element of C the bits of one fused multiply-add per step in k order, then
/// alpha·sum + beta·C with one rounding: the 512-bit tile (software vectors here, AVX-512 where present) and the
/// 256-bit tile alike, so a product's bits do not depend on which processor ran it.
/// </summary>
public unsafe class GemmTileTests
{
    [Theory]
    [InlineData(1, 1.0, 0.0)]
    [InlineData(7, 1.5, -0.5)]
    [InlineData(64, 1.0, 1.0)]
    [InlineData(300, -0.75, 2.0)]
    public void Both_tiles_match_a_scalar_fused_multiply_add_chain(int k, double alpha, double beta)
    {
        Check<float>(k, (float)alpha, (float)beta);
        Check<double>(k, alpha, beta);
    }

    private static void Check<T>(int k, T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int rows = GemmMicroKernel.Rows;
        int columns = GemmMicroKernel.Columns<T>(), ldc = columns + 3;
        var random = new Random(k);
        T Next() => T.CreateTruncating(random.NextDouble() - 0.5);
        var a = Enumerable.Range(0, rows * k).Select(_ => Next()).ToArray();       // packed: (r, p) at p·6 + r
        var b = Enumerable.Range(0, k * columns).Select(_ => Next()).ToArray();    // packed: (p, j) at p·columns + j
        var c = Enumerable.Range(0, rows * ldc).Select(_ => Next()).ToArray();

        var expected = (T[])c.Clone();
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < columns; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++) sum = T.FusedMultiplyAdd(a[p * rows + r], b[p * columns + j], sum);
                ref T target = ref expected[r * ldc + j];
                target = beta == T.Zero ? alpha * sum : T.FusedMultiplyAdd(alpha, sum, beta * target);
            }

        var narrow = (T[])c.Clone();
        var wide = (T[])c.Clone();
        fixed (T* pa = a, pb = b, pn = narrow, pw = wide)
        {
            GemmMicroKernel.Tile(k, pa, 1, rows, pb, columns, pn, ldc, alpha, beta, rows, columns);
            GemmMicroKernel.Tile512(k, pa, 1, rows, pb, columns, pw, ldc, alpha, beta);
        }
        Assert.Equal(expected, narrow);
        Assert.Equal(expected, wide);   // the padding between rows of C is untouched too
        Assert.Equal(Vector512<T>.Count, columns);
    }
}
