using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels.Cpu;

// Products with at most three rows of C (a small layer's weight gradient, gᵀ·x with few outputs): a tile of those
// rows by up to four vectors of columns, with B read in place along its rows.
internal static unsafe partial class GemmSkinnyKernels
{
    /// <summary>The most rows <see cref="FewRows{T}"/> computes at once.</summary>
    public const int FewRowsLimit = 3;

    /// <summary>
    /// C = alpha·A·B + beta·C for at most <see cref="FewRowsLimit"/> rows, up to four vectors of columns at a time:
    /// A(r, p) is <c>a[r·aRow + p·aStep]</c>, row p of B starts at <c>b + p·ldb</c> (contiguous), C as in
    /// <see cref="Dots{T}"/>.
    /// </summary>
    public static void FewRows<T>(int m, int n, int k, T* a, nint aRow, nint aStep, T* b, nint ldb, T* c, nint ldc,
        bool transposedC, T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (m)
        {
            case 1: FewRows<T, One>(n, k, a, aRow, aStep, b, ldb, c, ldc, transposedC, alpha, beta); break;
            case 2: FewRows<T, Two>(n, k, a, aRow, aStep, b, ldb, c, ldc, transposedC, alpha, beta); break;
            default: FewRows<T, Three>(n, k, a, aRow, aStep, b, ldb, c, ldc, transposedC, alpha, beta); break;
        }
    }

    private static void FewRows<T, TRows>(int n, int k, T* a, nint aRow, nint aStep, T* b, nint ldb, T* c, nint ldc,
        bool transposedC, T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T> where TRows : ICount
    {
        int w = Vector256<T>.Count, width = 4 * w, m = TRows.Value;
        T* sums = stackalloc T[FewRowsLimit * 4 * Vector256<T>.Count];
        for (int j0 = 0; j0 < n; j0 += width)
        {
            int columns = Math.Min(width, n - j0), vectors = (columns + w - 1) / w;
            // A ragged block's last vector reads past its row, into the next one: harmless lanes whose sums are
            // dropped, except in the last rows, where it would pass B's end; those rows go through a padded copy.
            int inPlace = RowsReadableInPlace(k, n, ldb, j0, vectors * w);
            WideTile<T, TRows>(vectors, inPlace, a, aRow, aStep, b + j0, ldb, sums, accumulate: false);
            if (inPlace < k)
            {
                T* panel = PadRows(b + inPlace * ldb + j0, ldb, k - inPlace, columns, vectors * w);
                WideTile<T, TRows>(vectors, k - inPlace, a + inPlace * aStep, aRow, aStep, panel, vectors * w, sums,
                    accumulate: true);
            }
            for (int r = 0; r < m; r++)
                for (int j = 0; j < columns; j++)
                {
                    T* target = transposedC ? c + (j0 + j) * ldc + r : c + r * ldc + j0 + j;
                    *target = Combine(alpha, sums[r * width + j], beta, *target);
                }
        }
    }

    /// <summary>
    /// How many leading rows of a k × n matrix with row stride <paramref name="ldb"/> can be read
    /// <paramref name="width"/> elements at a time from column <paramref name="j0"/> without passing its last element.
    /// </summary>
    public static int RowsReadableInPlace(int k, int n, nint ldb, int j0, int width)
    {
        // where the last readable row starts, from column j0 of row 0
        long reach = (long)(k - 1) * ldb + n - j0 - width;
        return reach < 0 ? 0 : (int)Math.Min(k, reach / ldb + 1);
    }

    /// <summary><paramref name="rows"/> rows of <paramref name="columns"/> elements copied to rows of
    /// <paramref name="width"/>, zero-padded.</summary>
    private static T* PadRows<T>(T* source, nint ldb, int rows, int columns, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* panel = PackBuffers<T>.B(rows * width);
        for (int p = 0; p < rows; p++)
        {
            var target = new Span<T>(panel + p * width, width);
            new ReadOnlySpan<T>(source + p * ldb, columns).CopyTo(target);
            target[columns..].Clear();
        }
        return panel;
    }

    private static void WideTile<T, TRows>(int vectors, int k, T* a, nint aRow, nint aStep, T* b, nint bStep, T* sums,
        bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> where TRows : ICount
    {
        switch (vectors)
        {
            case 1: WideTile<T, TRows, One>(k, a, aRow, aStep, b, bStep, sums, accumulate); break;
            case 2: WideTile<T, TRows, Two>(k, a, aRow, aStep, b, bStep, sums, accumulate); break;
            case 3: WideTile<T, TRows, Three>(k, a, aRow, aStep, b, bStep, sums, accumulate); break;
            default: WideTile<T, TRows, Four>(k, a, aRow, aStep, b, bStep, sums, accumulate); break;
        }
    }

    /// <summary>
    /// sums (rows of four vectors) = Σp A(r, p)·B(p, ·) over <paramref name="k"/> rows of B, continuing from the
    /// sums already there when <paramref name="accumulate"/>, so a product split in two along k keeps every bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideTile<T, TRows, TVectors>(int k, T* a, nint aRow, nint aStep, T* b, nint bStep, T* sums,
        bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> where TRows : ICount where TVectors : ICount
    {
        int w = Vector256<T>.Count, rows = TRows.Value, vectors = TVectors.Value;
        T* a1 = a + aRow, a2 = a + 2 * aRow;
        Vector256<T> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default;
        Vector256<T> c12 = default, c13 = default, c20 = default, c21 = default, c22 = default, c23 = default;
        if (accumulate)
        {
            c00 = Vector256.Load(sums); c01 = Vector256.Load(sums + w);
            c02 = Vector256.Load(sums + 2 * w); c03 = Vector256.Load(sums + 3 * w);
            c10 = Vector256.Load(sums + 4 * w); c11 = Vector256.Load(sums + 5 * w);
            c12 = Vector256.Load(sums + 6 * w); c13 = Vector256.Load(sums + 7 * w);
            c20 = Vector256.Load(sums + 8 * w); c21 = Vector256.Load(sums + 9 * w);
            c22 = Vector256.Load(sums + 10 * w); c23 = Vector256.Load(sums + 11 * w);
        }
        Vector256<T> unused = default;   // a fourth row the step never reaches (at most three rows)
        nint offset = 0;
        for (int p = 0; p < k; p++, offset += aStep, b += bStep)
        {
            // one vector of B at a time into all rows (the row step with the roles swapped: x·y = y·x, one rounding
            // either way): 12 accumulators + 3 broadcasts + 1 vector fill the 16 registers, where four vectors of B
            // held at once would push an accumulator out to the stack
            var x0 = Vector256.Create(a[offset]);
            var x1 = rows > 1 ? Vector256.Create(a1[offset]) : default;
            var x2 = rows > 2 ? Vector256.Create(a2[offset]) : default;
            MulAddRow<T, TRows>(Vector256.Load(b), x0, x1, x2, default, ref c00, ref c10, ref c20, ref unused);
            if (vectors > 1) MulAddRow<T, TRows>(Vector256.Load(b + w), x0, x1, x2, default, ref c01, ref c11, ref c21,
                ref unused);
            if (vectors > 2) MulAddRow<T, TRows>(Vector256.Load(b + 2 * w), x0, x1, x2, default, ref c02, ref c12,
                ref c22, ref unused);
            if (vectors > 3) MulAddRow<T, TRows>(Vector256.Load(b + 3 * w), x0, x1, x2, default, ref c03, ref c13,
                ref c23, ref unused);
        }
        c00.Store(sums); c01.Store(sums + w); c02.Store(sums + 2 * w); c03.Store(sums + 3 * w);
        c10.Store(sums + 4 * w); c11.Store(sums + 5 * w); c12.Store(sums + 6 * w); c13.Store(sums + 7 * w);
        c20.Store(sums + 8 * w); c21.Store(sums + 9 * w); c22.Store(sums + 10 * w); c23.Store(sums + 11 * w);
    }
}
