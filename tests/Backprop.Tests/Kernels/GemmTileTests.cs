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

    /// <summary>
    /// The last rows of a product whose row count is not a multiple of six run through a shorter tile: each of its
    /// elements gets the same bits, and the rows and columns past the tile's edge are left alone.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Tiles_of_fewer_rows_match_the_chain_and_touch_only_their_rows(int rows)
    {
        foreach (int k in new[] { 1, 37 })
            foreach (double beta in new[] { 0.0, 0.5 })
            {
                CheckPart<float>(k, 1.25f, (float)beta, rows, GemmMicroKernel.Columns<float>());
                CheckPart<float>(k, 1.25f, (float)beta, rows, GemmMicroKernel.Columns<float>() - 3);
                CheckPart<double>(k, 1.25, beta, rows, GemmMicroKernel.Columns<double>() - 1);
            }
    }

    private static void CheckPart<T>(int k, T alpha, T beta, int rows, int columns) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (a, b, c, expected, ldc) = Operands(k, alpha, beta, rows, columns);
        fixed (T* pa = a, pb = b, pc = c)
            GemmMicroKernel.Tile(k, pa, 1, GemmMicroKernel.Rows, pb, GemmMicroKernel.Columns<T>(), pc, ldc, alpha, beta, rows, columns);
        Assert.Equal(expected, c);
    }

    /// <summary>Packed panels for a whole tile, a C with padding, and the C expected once a tile of rows × columns has run.</summary>
    private static (T[] A, T[] B, T[] C, T[] Expected, int Ldc) Operands<T>(int k, T alpha, T beta, int rows, int columns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int panelRows = GemmMicroKernel.Rows;
        int width = GemmMicroKernel.Columns<T>(), ldc = width + 3;
        var random = new Random(k + 100 * rows + columns);
        T Next() => T.CreateTruncating(random.NextDouble() - 0.5);
        var a = Enumerable.Range(0, panelRows * k).Select(_ => Next()).ToArray();   // packed: (r, p) at p·6 + r
        var b = Enumerable.Range(0, k * width).Select(_ => Next()).ToArray();       // packed: (p, j) at p·width + j
        var c = Enumerable.Range(0, panelRows * ldc).Select(_ => Next()).ToArray();
        var expected = (T[])c.Clone();
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < columns; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++) sum = T.FusedMultiplyAdd(a[p * panelRows + r], b[p * width + j], sum);
                ref T target = ref expected[r * ldc + j];
                target = beta == T.Zero ? alpha * sum : T.FusedMultiplyAdd(alpha, sum, beta * target);
            }
        return (a, b, c, expected, ldc);
    }

    private static void Check<T>(int k, T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int rows = GemmMicroKernel.Rows;
        int columns = GemmMicroKernel.Columns<T>();
        var (a, b, c, expected, ldc) = Operands(k, alpha, beta, rows, columns);
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
