using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels.Cpu;

// Products with k ≤ 4 (a layer on points in the plane, or the input gradient of a 3-class classifier): each element
// of C is a handful of multiply-adds, so the cost is one pass over C, and the loop must do nothing else per vector.
internal static unsafe partial class GemmSkinnyKernels
{
    /// <summary>The longest k that <see cref="ShortK{T}"/> handles.</summary>
    public const int ShortKLimit = 4;

    /// <summary>
    /// C = alpha·A·B + beta·C for k ≤ <see cref="ShortKLimit"/> in one pass over C, row by row, with the k rows of
    /// B kept in L1 (copied row-major first when B is stored transposed). A(r, p) is <c>a[r·aRow + p·aStep]</c>, B(p,
    /// j) is <c>b[p·bRow + j·bColumn]</c>. Each element is summed in the register tile's order.
    /// </summary>
    public static void ShortK<T>(int m, int n, int k, T* a, nint aRow, nint aStep, T* b, nint bRow, nint bColumn, T* c,
        nint ldc, T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T> =>
        ShortKRows(m, n, k, a, aRow, aStep, b, bRow, bColumn, c, ldc, alpha, beta, null, relu: false);

    /// <summary>
    /// C = A·B + bias[j] on every row (a linear layer on few inputs), with A row-major, then max(0, ·) with
    /// <paramref name="relu"/>: C is written, never read, and its bits equal those of <see cref="ShortK{T}"/> onto rows
    /// prefilled with the bias (and then of a ReLU over them).
    /// </summary>
    public static void ShortKWithBias<T>(int m, int n, int k, T* a, nint lda, T* b, nint bRow, nint bColumn, T* bias,
        T* c, nint ldc, bool relu)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ShortKRows(m, n, k, a, lda, 1, b, bRow, bColumn, c, ldc, T.One, T.One, bias, relu);

    private static void ShortKRows<T>(int m, int n, int k, T* a, nint aRow, nint aStep, T* b, nint bRow, nint bColumn,
        T* c, nint ldc, T alpha, T beta, T* bias, bool relu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (bColumn != 1)
        {
            T* rows = PackBuffers<T>.B(k * n);
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) rows[p * n + j] = b[p * bRow + j * bColumn];
            b = rows;
            bRow = n;
        }
        // whether C (or the bias) is read and whether the ReLU applies are fixed per call, so each combination gets a
        // loop of its own, with no test left per vector; the ReLU comes only with a bias, which is always read
        if (relu) ShortKRows<T, Yes, Yes>(m, n, k, a, aRow, aStep, b, bRow, c, ldc, alpha, beta, bias);
        else if (beta != T.Zero) ShortKRows<T, Yes, No>(m, n, k, a, aRow, aStep, b, bRow, c, ldc, alpha, beta, bias);
        else ShortKRows<T, No, No>(m, n, k, a, aRow, aStep, b, bRow, c, ldc, alpha, beta, bias);
    }

    private static void ShortKRows<T, TReadC, TRelu>(int m, int n, int k, T* a, nint aRow, nint aStep, T* b, nint bRow,
        T* c, nint ldc, T alpha, T beta, T* bias)
        where T : unmanaged, IFloatingPointIeee754<T> where TReadC : IFlag where TRelu : IFlag
    {
        switch (k)
        {
            case 1: ShortKRows<T, One, TReadC, TRelu>(m, n, a, aRow, aStep, b, bRow, c, ldc, alpha, beta, bias); break;
            case 2: ShortKRows<T, Two, TReadC, TRelu>(m, n, a, aRow, aStep, b, bRow, c, ldc, alpha, beta, bias); break;
            case 3:
                ShortKRows<T, Three, TReadC, TRelu>(m, n, a, aRow, aStep, b, bRow, c, ldc, alpha, beta, bias); break;
            default:
                ShortKRows<T, Four, TReadC, TRelu>(m, n, a, aRow, aStep, b, bRow, c, ldc, alpha, beta, bias); break;
        }
    }

    private static void ShortKRows<T, TDepth, TReadC, TRelu>(int m, int n, T* a, nint aRow, nint aStep, T* b, nint bRow,
        T* c, nint ldc, T alpha, T beta, T* bias)
        where T : unmanaged, IFloatingPointIeee754<T> where TDepth : ICount where TReadC : IFlag where TRelu : IFlag
    {
        int w = Vector256<T>.Count, k = TDepth.Value;
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        T* b1 = b + bRow, b2 = b + 2 * bRow, b3 = b + 3 * bRow;
        var mask = Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(n)));
        for (int i = 0; i < m; i++, a += aRow, c += ldc)
        {
            var x0 = Vector256.Create(a[0]);
            var x1 = k > 1 ? Vector256.Create(a[aStep]) : default;
            var x2 = k > 2 ? Vector256.Create(a[2 * aStep]) : default;
            var x3 = k > 3 ? Vector256.Create(a[3 * aStep]) : default;
            T* added = bias is null ? c : bias;   // the term beta scales: C's own row, or the bias
            if (n < w)
            {
                // a row narrower than a vector goes through a mask: lanes past it are neither read nor written
                var sum = x0 * GemmMicroKernel.MaskLoad(b, mask);
                if (k > 1) sum = GemmMicroKernel.MulAdd(x1, GemmMicroKernel.MaskLoad(b1, mask), sum);
                if (k > 2) sum = GemmMicroKernel.MulAdd(x2, GemmMicroKernel.MaskLoad(b2, mask), sum);
                if (k > 3) sum = GemmMicroKernel.MulAdd(x3, GemmMicroKernel.MaskLoad(b3, mask), sum);
                var value = TReadC.Value
                    ? GemmMicroKernel.MulAdd(va, sum, vb * GemmMicroKernel.MaskLoad(added, mask))
                    : va * sum;
                GemmMicroKernel.MaskStore(c, mask, TRelu.Value ? ReluOp<T>.Apply(value) : value);
                continue;
            }
            // A ragged row ends with a vector that overlaps the one before it: computed from the old C before any
            // store, stored last, it writes the overlapped lanes with the bits they already got, and needs no mask.
            int last = n - w;
            var end = ShortKVector<T, TDepth, TReadC, TRelu>(last, x0, x1, x2, x3, b, b1, b2, b3, va, vb, added);
            for (int j = 0; j < last; j += w)
                ShortKVector<T, TDepth, TReadC, TRelu>(j, x0, x1, x2, x3, b, b1, b2, b3, va, vb, added).Store(c + j);
            end.Store(c + last);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> ShortKVector<T, TDepth, TReadC, TRelu>(int j, Vector256<T> x0, Vector256<T> x1,
        Vector256<T> x2, Vector256<T> x3, T* b0, T* b1, T* b2, T* b3, Vector256<T> alpha, Vector256<T> beta, T* added)
        where T : unmanaged, IFloatingPointIeee754<T> where TDepth : ICount where TReadC : IFlag where TRelu : IFlag
    {
        var sum = x0 * Vector256.Load(b0 + j);
        if (TDepth.Value > 1) sum = GemmMicroKernel.MulAdd(x1, Vector256.Load(b1 + j), sum);
        if (TDepth.Value > 2) sum = GemmMicroKernel.MulAdd(x2, Vector256.Load(b2 + j), sum);
        if (TDepth.Value > 3) sum = GemmMicroKernel.MulAdd(x3, Vector256.Load(b3 + j), sum);
        var value = TReadC.Value ? GemmMicroKernel.MulAdd(alpha, sum, beta * Vector256.Load(added + j)) : alpha * sum;
        return TRelu.Value ? ReluOp<T>.Apply(value) : value;
    }
}
