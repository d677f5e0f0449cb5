using System.Runtime.InteropServices;

namespace Backprop.Cuda;

/// <summary>
/// cuBLAS through P/Invoke: the library is found by probing (<see cref="NativeProbe"/>) and bound to the
/// imports below by a DllImport resolver, so Backprop.Cuda loads on machines without CUDA.
/// </summary>
internal sealed unsafe partial class Cublas
{
    private const string Library = "cublas";
    private const int OpN = 0, OpT = 1, DefaultMath = 0, Tf32TensorOpMath = 3;
    private static nint s_library;
    private readonly nint _handle;

    /// <summary>Points the imports at <paramref name="library"/>, a handle from <see cref="NativeLibrary"/>.</summary>
    public static void Bind(nint library)
    {
        if (Interlocked.Exchange(ref s_library, library) != 0) return;
        NativeLibrary.SetDllImportResolver(typeof(Cublas).Assembly, (name, _, _) => name == Library ? s_library : 0);
    }

    /// <summary>A handle whose work runs on <paramref name="stream"/> (a CUDA stream handle; 0 is the legacy default
    /// stream).</summary>
    public Cublas(nint stream)
    {
        nint handle;
        Check(cublasCreate_v2(&handle), "cublasCreate_v2");
        _handle = handle;
        Check(cublasSetStream_v2(_handle, stream), "cublasSetStream_v2");
    }

    /// <summary>Lets float products use TF32 tensor cores (about 10 bits of mantissa in the products).</summary>
    public void SetTf32(bool enabled) =>
        Check(cublasSetMathMode(_handle, enabled ? Tf32TensorOpMath : DefaultMath), "cublasSetMathMode");

    /// <summary>
    /// Row-major C[m×n] = op(A)[m×k]·op(B)[k×n] for <paramref name="batch"/> matrices spaced by the strides. cuBLAS
    /// is column-major, where a row-major matrix reads as its transpose, so it computes Cᵀ = op(B)ᵀ·op(A)ᵀ.
    /// </summary>
    public void Gemm(bool isDouble, bool transA, bool transB, int m, int n, int k, nint a, int lda, long strideA,
        nint b, int ldb, long strideB, nint c, long strideC, int batch)
    {
        int opA = transA ? OpT : OpN, opB = transB ? OpT : OpN;
        if (isDouble)
        {
            double one = 1, zero = 0;
            Check(batch == 1
                ? cublasDgemm_v2(_handle, opB, opA, n, m, k, &one, b, ldb, a, lda, &zero, c, n)
                : cublasDgemmStridedBatched(_handle, opB, opA, n, m, k, &one, b, ldb, strideB, a, lda, strideA, &zero,
                    c, n, strideC, batch), "cublasDgemm");
        }
        else
        {
            float one = 1, zero = 0;
            Check(batch == 1
                ? cublasSgemm_v2(_handle, opB, opA, n, m, k, &one, b, ldb, a, lda, &zero, c, n)
                : cublasSgemmStridedBatched(_handle, opB, opA, n, m, k, &one, b, ldb, strideB, a, lda, strideA, &zero,
                    c, n, strideC, batch), "cublasSgemm");
        }
    }

    private static void Check(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException(
            $"cuda: {call} failed with cuBLAS status {status} ({StatusName(status)})");
    }

    private static string StatusName(int status) => status switch
    {
        1 => "NOT_INITIALIZED",
        3 => "ALLOC_FAILED",
        7 => "INVALID_VALUE",
        8 => "ARCH_MISMATCH",
        11 => "MAPPING_ERROR",
        13 => "EXECUTION_FAILED",
        14 => "INTERNAL_ERROR",
        15 => "NOT_SUPPORTED",
        _ => "unknown",
    };

    [LibraryImport(Library)] private static partial int cublasCreate_v2(nint* handle);
    [LibraryImport(Library)] private static partial int cublasSetStream_v2(nint handle, nint stream);
    [LibraryImport(Library)] private static partial int cublasSetMathMode(nint handle, int mode);
    [LibraryImport(Library)] private static partial int cublasSgemm_v2(nint handle, int transa, int transb, int m,
        int n, int k, float* alpha, nint a, int lda, nint b, int ldb, float* beta, nint c, int ldc);
    [LibraryImport(Library)] private static partial int cublasDgemm_v2(nint handle, int transa, int transb, int m,
        int n, int k, double* alpha, nint a, int lda, nint b, int ldb, double* beta, nint c, int ldc);
    [LibraryImport(Library)] private static partial int cublasSgemmStridedBatched(nint handle, int transa, int transb,
        int m, int n, int k, float* alpha, nint a, int lda, long strideA, nint b, int ldb, long strideB, float* beta,
        nint c, int ldc, long strideC, int batchCount);
    [LibraryImport(Library)] private static partial int cublasDgemmStridedBatched(nint handle, int transa, int transb,
        int m, int n, int k, double* alpha, nint a, int lda, long strideA, nint b, int ldb, long strideB, double* beta,
        nint c, int ldc, long strideC, int batchCount);
}
