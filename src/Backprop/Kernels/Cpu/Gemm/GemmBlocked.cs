using System.Numerics;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// The loops around the micro-kernel. Large products are cut into blocks that fit the caches (kc × nc of B
/// for L3, mc × kc of A for L2, one kc × 16 panel of B for L1), packed, and swept tile by tile; threads split
/// C into slabs of whole tiles, never the sum over k, so the result does not depend on the thread count.
/// Small products skip packing and threads: their cost is the overhead, not the arithmetic.
/// </summary>
internal static unsafe class GemmBlocked
{
    /// <summary>Products with at most this many multiply-adds read A and B in place on one thread.</summary>
    public const long SmallWork = 1 << 17;

    /// <summary>Products with at most this many multiply-adds and a thin C run as dot products on one thread.</summary>
    private const long DotsWork = 1 << 23;

    /// <summary>The most elements of op(B) that dot products copy out to read along k.</summary>
    private const long DotsCopyLimit = 1 << 16;

    /// <summary>A thread is worth waking only for about this many multiply-adds.</summary>
    private const long WorkPerPart = 1 << 20;

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C for m, n, k ≥ 1 and checked strides, split over up to
    /// <paramref name="threads"/> threads.
    /// </summary>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T* a, int lda, T* b, int ldb,
        T* c, int ldc, T alpha, T beta, int threads, GemmEpilogue<T> epilogue = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = NewJob(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, alpha, beta);
        job.Epilogue = epilogue;
        if ((long)m * n * k <= SmallWork || job.FitsDots)
        {
            job.Alone();
            return;
        }
        SplitTiles(ref job, threads);
    }

    /// <summary>
    /// A batch of products of one shape for m, n, k, batch ≥ 1: item s reads A + s·aBatch and B + s·bBatch and
    /// writes C + s·cBatch, or, with <paramref name="sumBatch"/>, every item adds into the one C (beta scales it
    /// once). Separate items go to threads whole, each computed as it would be alone; a summed batch is split
    /// into slabs of C, each summing the items in order. Either way the result does not depend on the thread count.
    /// </summary>
    public static void MultiplyBatch<T>(bool transA, bool transB, int m, int n, int k, T* a, int lda, nint aBatch,
        T* b, int ldb, nint bBatch, T* c, int ldc, nint cBatch, int batch, bool sumBatch, T alpha, T beta, int threads,
        GemmEpilogue<T> epilogue = default) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = NewJob(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, alpha, beta);
        job.Epilogue = epilogue;
        job.Batch = batch;
        job.ABatch = aBatch;
        job.BBatch = bBatch;
        job.CBatch = sumBatch ? 0 : cBatch;
        job.SumBatch = sumBatch;
        if (sumBatch)
        {
            SplitTiles(ref job, threads);
            return;
        }
        job.SplitBatch = true;
        job.Tiles = batch;
        job.Parts = (int)Math.Clamp((long)m * n * k * batch / WorkPerPart, 1,
            Math.Min(ParallelFor.PartsFor(threads), batch));
        ParallelFor.Run(job.Parts, ref job, threads);
    }

    /// <summary>
    /// Whether <see cref="Multiply{T}"/> would pack B for this product (rather than run a small path that reads B in
    /// place): only then does a product with B packed beforehand (<see cref="MultiplyPacked{T}"/>) apply.
    /// </summary>
    public static bool PacksB<T>(bool transA, bool transB, int m, int n, int k, int lda, int ldb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = NewJob<T>(transA, transB, m, n, k, null, lda, null, ldb, null, n, T.One, T.Zero);
        return k > 0 && GemmMicroKernel.IsSupported && (long)m * n * k > SmallWork && !job.FitsDots;
    }

    /// <summary>
    /// The product <see cref="Multiply{T}"/> computes when <see cref="PacksB{T}"/> holds, with op(B) read from
    /// <paramref name="packedB"/>, packed by <see cref="PackedMatrix{T}"/>: the same tiles over the same slices of k,
    /// so the same bits.
    /// </summary>
    public static void MultiplyPacked<T>(bool transA, int m, int n, int k, T* a, int lda, PackedMatrix<T> packedB,
        T* c, int ldc, T alpha, T beta, int threads, GemmEpilogue<T> epilogue = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = NewJob(transA, false, m, n, k, a, lda, null, n, c, ldc, alpha, beta);
        job.Epilogue = epilogue;
        job.PackedB = packedB.Data;
        job.PackedColumns = packedB.PaddedColumns;
        SplitTiles(ref job, threads);
    }

    /// <summary>
    /// Packs op(B) [k, n] whole, in the layout <see cref="Packed{T}"/> reads: slice of k starting at p (as
    /// <see cref="BlockK{T}"/> cuts k) at <c>p·paddedColumns</c>, holding the panels of every column.
    /// </summary>
    public static void PackWhole<T>(bool transB, int k, int n, T* b, int ldb, T* dst, int paddedColumns)
        where T : unmanaged
    {
        int blockK = BlockK<T>(k);
        for (int pc = 0; pc < k; pc += blockK)
            GemmPacking.PackB(b + (transB ? pc : (nint)pc * ldb), transB ? 1 : ldb, transB ? ldb : 1,
                Math.Min(blockK, k - pc), n, dst + (nint)pc * paddedColumns);
    }

    private static Job<T> NewJob<T>(bool transA, bool transB, int m, int n, int k, T* a, int lda, T* b, int ldb,
        T* c, int ldc, T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T> => new()
    {
        A = a, ARow = transA ? 1 : lda, AStep = transA ? lda : 1,
        B = b, BRow = transB ? 1 : ldb, BColumn = transB ? ldb : 1,
        C = c, Ldc = ldc, M = m, N = n, K = k, Alpha = alpha, Beta = beta, Batch = 1,
    };

    // Split the side with more tiles; splitting rows also means each thread packs only its own rows of A. Slabs of
    // columns over an A read in place cost nothing extra when there are more of them than threads (each packs only
    // its own columns of B), so they are cut four per thread: a thread slowed by another process takes fewer.
    private static void SplitTiles<T>(ref Job<T> job, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rowTiles = (job.M + GemmMicroKernel.Rows - 1) / GemmMicroKernel.Rows;
        int columnTiles = (job.N + GemmMicroKernel.Columns<T>() - 1) / GemmMicroKernel.Columns<T>();
        job.SplitRows = rowTiles >= columnTiles;
        job.Tiles = job.SplitRows ? rowTiles : columnTiles;
        long work = (long)job.M * job.N * job.K * job.Batch;
        int slabs = !job.SplitRows && job.ReadsAInPlace ? ParallelFor.PartsFor(threads) : threads;
        job.Parts = (int)Math.Clamp(work / WorkPerPart, 1, Math.Min(slabs, job.Tiles));
        ParallelFor.Run(job.Parts, ref job, threads);
    }

    /// <summary>
    /// The depth of a slice of k: at most 320 floats (240 doubles), so a 16-column panel of B stays in L1, and
    /// k cut into equal slices, so no slice is a short remainder that pays a pass over C for little arithmetic.
    /// </summary>
    private static int BlockK<T>(int k) where T : unmanaged
    {
        int most = sizeof(T) == 4 ? 320 : 240, slices = (k + most - 1) / most;
        return (k + slices - 1) / slices;
    }

    private static int BlockM<T>() where T : unmanaged => sizeof(T) == 4 ? 144 : 96;
    private static int BlockN<T>() where T : unmanaged => sizeof(T) == 4 ? 2048 : 1024;

    /// <summary>One product (or batch of them) and how it is cut into parts; part p owns whole items or a slab of whole
    /// tiles of C.</summary>
    private struct Job<T> : IPartBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* A, B, C;
        public nint ARow, AStep, BRow, BColumn, Ldc, ABatch, BBatch, CBatch;
        public int M, N, K, Batch, Tiles, Parts;
        public bool SplitRows, SplitBatch, SumBatch;

        /// <summary>op(B) packed whole beforehand (<see cref="PackWhole{T}"/>), or null to pack each block here; its
        /// rows are <see cref="PackedColumns"/> long.</summary>
        public T* PackedB;
        public nint PackedColumns;

        /// <summary>Whether this job computes Cᵀ: C's element (i, j) of the job lives at <c>C[j·Ldc +
        /// i]</c>.</summary>
        public bool TransposedC;
        public T Alpha, Beta;

        /// <summary>Applied to each element of C once its sum is whole (after a summed batch's last item).</summary>
        public GemmEpilogue<T> Epilogue;

        /// <summary>The same product as Cᵀ = op(B)ᵀ·op(A)ᵀ: the operands trade places and C is written
        /// transposed.</summary>
        public readonly Job<T> Transposed() => this with
        {
            A = B, ARow = BColumn, AStep = BRow,
            B = A, BRow = AStep, BColumn = ARow,
            M = N, N = M, TransposedC = !TransposedC,
        };

        /// <summary>Item s of a batch as a job of its own; after the first item a summed batch adds to C, and only its
        /// last item finishes C.</summary>
        public readonly Job<T> Item(int s) => this with
        {
            A = A + s * ABatch, B = B + s * BBatch, C = C + s * CBatch, Batch = 1,
            Beta = SumBatch && s > 0 ? T.One : Beta,
            Epilogue = SumBatch && s < Batch - 1 ? default : Epilogue,
        };

        /// <summary>
        /// Whether the packed path reads A's whole six-row panels where they are (rows contiguous along k), instead of
        /// packing them: packing costs a copy of A per block, and the tile reads six row streams as fast as one packed
        /// stream, unless the rows are a multiple of 4 KB apart: then all six fall in one set of the L1 cache with the
        /// B panel's lines, and evict each other.
        /// </summary>
        public readonly bool ReadsAInPlace => AStep == 1 && ARow * sizeof(T) % 4096 != 0;

        /// <summary>
        /// Fewer columns than one tile, with rows of A contiguous along k: dot products fill every lane (and run on one
        /// thread up to <see cref="DotsWork"/>). They read op(B)ᵀ's rows where they are when contiguous, else from a
        /// copy (<see cref="CopiesBForDots"/>).
        /// </summary>
        public readonly bool FitsDots =>
            N < GemmMicroKernel.Columns<T>() && AStep == 1 && (BRow == 1 || CopiesBForDots)
            && (long)M * N * K <= DotsWork;

        // op(B) stored along n (a classifier's h·W with W [hidden, classes]): copying its few columns out as rows
        // costs k·n moves against the m·k·n multiply-adds that the 16-wide tile would run mostly on empty lanes
        private readonly bool CopiesBForDots =>
            BRow != 1 && M > GemmSkinnyKernels.FewRowsLimit && K > GemmSkinnyKernels.ShortKLimit
            && (long)N * K <= DotsCopyLimit;

        /// <summary>The whole product on the calling thread, packed or (when small) read in place, then
        /// finished.</summary>
        public readonly void Alone()
        {
            if ((long)M * N * K > SmallWork && !FitsDots)
            {
                Packed(this, 0, M, 0, N);  // finishes each tile itself
                return;
            }
            Unfinished();
            if (!Epilogue.IsNone) Epilogue.Apply(C, Ldc, 0, M, 0, N);
        }

        // the small paths, which leave the epilogue to Alone
        private readonly void Unfinished()
        {
            if (FitsDots)
            {
                if (BRow == 1) GemmSkinnyKernels.Dots(M, N, K, A, ARow, B, BColumn, C, Ldc, TransposedC, Alpha, Beta);
                else GemmSkinnyKernels.Dots(M, N, K, A, ARow, BColumnsAsRows(), K, C, Ldc, TransposedC, Alpha, Beta);
                return;
            }
            if (K <= GemmSkinnyKernels.ShortKLimit && !TransposedC && (long)M * N * K <= SmallWork)
            {
                GemmSkinnyKernels.ShortK(M, N, K, A, ARow, AStep, B, BRow, BColumn, C, Ldc, Alpha, Beta);
                return;
            }
            // A narrow C (few columns, many rows) wastes most vector lanes; when op(A)ᵀ has contiguous rows
            // (A stored transposed), computing Cᵀ = op(B)ᵀ·op(A)ᵀ instead fills them.
            const int R = GemmMicroKernel.Rows;
            int width = GemmMicroKernel.Columns<T>();
            int tiles = (M + R - 1) / R * ((N + width - 1) / width),
                swappedTiles = (N + R - 1) / R * ((M + width - 1) / width);
            var job = ARow == 1 && 3 * swappedTiles < 2 * tiles ? Transposed() : this;
            if (job.M <= GemmSkinnyKernels.FewRowsLimit && job.BColumn == 1)
                GemmSkinnyKernels.FewRows(job.M, job.N, job.K, job.A, job.ARow, job.AStep, job.B, job.BRow, job.C,
                    job.Ldc, job.TransposedC, Alpha, Beta);
            else Small(ref job);
        }

        // op(B)ᵀ [n, k] copied into the calling thread's pack buffer
        private readonly T* BColumnsAsRows()
        {
            T* rows = PackBuffers<T>.B(N * K);
            for (int j = 0; j < N; j++)
                for (int p = 0; p < K; p++) rows[j * K + p] = B[p * BRow + j * BColumn];
            return rows;
        }

        public readonly void Invoke(int part)
        {
            int first = (int)((long)Tiles * part / Parts), last = (int)((long)Tiles * (part + 1) / Parts);
            if (SplitBatch)
            {
                for (int s = first; s < last; s++) Item(s).Alone();
                return;
            }
            for (int s = 0; s < Batch; s++)
            {
                var item = Item(s);
                if (SplitRows)
                {
                    int rows = GemmMicroKernel.Rows;
                    Packed(item, first * rows, Math.Min(last * rows, M), 0, N);
                }
                else
                {
                    int columns = GemmMicroKernel.Columns<T>();
                    Packed(item, 0, M, first * columns, Math.Min(last * columns, N));
                }
            }
        }
    }

    /// <summary>Rows [i0, i1) × columns [j0, j1) of C through packed, cache-sized blocks.</summary>
    private static void Packed<T>(in Job<T> job, int i0, int i1, int j0, int j1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int R = GemmMicroKernel.Rows;
        int width = GemmMicroKernel.Columns<T>();
        int blockK = BlockK<T>(job.K), blockM = BlockM<T>(), blockN = BlockN<T>();
        T* packedA = PackBuffers<T>.A(blockM * blockK);
        T* packedB = job.PackedB != null
            ? null : PackBuffers<T>.B(blockK * RoundUp(Math.Min(blockN, j1 - j0), width));
        bool aInPlace = job.ReadsAInPlace;
        for (int jc = j0; jc < j1; jc += blockN)
        {
            int nc = Math.Min(blockN, j1 - jc);
            for (int pc = 0; pc < job.K; pc += blockK)
            {
                int kc = Math.Min(blockK, job.K - pc);
                if (job.PackedB != null) packedB = job.PackedB + pc * job.PackedColumns + (nint)jc * kc;
                else
                    GemmPacking.PackB(job.B + pc * job.BRow + jc * job.BColumn, job.BRow, job.BColumn, kc, nc,
                        packedB);
                // beta scales C once, with the first slice of k; later slices add to it, and the last finishes it.
                T beta = pc == 0 ? job.Beta : T.One;
                bool finish = pc + kc == job.K && !job.Epilogue.IsNone;
                for (int ic = i0; ic < i1; ic += blockM)
                {
                    int mc = Math.Min(blockM, i1 - ic);
                    int inPlace = aInPlace ? mc - mc % R : 0;
                    if (inPlace < mc)
                        GemmPacking.PackA(job.A + (ic + inPlace) * job.ARow + pc * job.AStep, job.ARow, job.AStep,
                            mc - inPlace, kc, packedA);
                    for (int jr = 0; jr < nc; jr += width)
                    {
                        int columns = Math.Min(width, nc - jr);
                        T* bPanel = packedB + jr * kc;
                        for (int ir = 0; ir < mc; ir += R)
                        {
                            T* cTile = job.C + (ic + ir) * job.Ldc + jc + jr;
                            int rows = Math.Min(R, mc - ir);
                            if (ir < inPlace)
                                GemmMicroKernel.Tile(kc, job.A + (ic + ir) * job.ARow + pc, job.ARow, 1, bPanel, width,
                                    cTile, job.Ldc, job.Alpha, beta, R, columns);
                            else
                                GemmMicroKernel.Tile(kc, packedA + (ir - inPlace) * kc, 1, R, bPanel, width, cTile,
                                    job.Ldc, job.Alpha, beta, rows, columns);
                            if (finish) job.Epilogue.Apply(cTile, job.Ldc, ic + ir, rows, jc + jr, columns);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// A small product on the calling thread: A is read in place (only its ragged last rows are copied, padded),
    /// and so is B when its rows are contiguous (only its ragged last columns are copied); a transposed B is
    /// packed whole, which is cheap at this size.
    /// </summary>
    private static void Small<T>(ref Job<T> job) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int R = GemmMicroKernel.Rows;
        int width = GemmMicroKernel.Columns<T>();
        int m = job.M, n = job.N, k = job.K;
        int fullRows = m - m % R, fullColumns = n - n % width;
        bool packAllB = job.BColumn != 1;
        T* packedB = null;
        if (packAllB)
        {
            packedB = PackBuffers<T>.B(k * RoundUp(n, width));
            GemmPacking.PackB(job.B, job.BRow, job.BColumn, k, n, packedB);
        }
        else if (fullColumns < n)
        {
            packedB = PackBuffers<T>.B(k * width);
            GemmPacking.PackB(job.B + fullColumns, job.BRow, 1, k, n - fullColumns, packedB);
        }
        T* lastRows = null;
        if (fullRows < m)
        {
            lastRows = PackBuffers<T>.A(R * k);
            GemmPacking.PackA(job.A + fullRows * job.ARow, job.ARow, job.AStep, m - fullRows, k, lastRows);
        }
        for (int j0 = 0; j0 < n; j0 += width)
        {
            int columns = Math.Min(width, n - j0);
            T* bPanel = packAllB ? packedB + j0 * k : columns == width ? job.B + j0 : packedB;
            nint bStep = packAllB || columns < width ? width : job.BRow;
            for (int i0 = 0; i0 < m; i0 += R)
            {
                int rows = Math.Min(R, m - i0);
                T* aPanel = rows == R ? job.A + i0 * job.ARow : lastRows;
                nint aRow = rows == R ? job.ARow : 1, aStep = rows == R ? job.AStep : R;
                if (job.TransposedC)
                    GemmMicroKernel.TileTransposed(k, aPanel, aRow, aStep, bPanel, bStep, job.C + j0 * job.Ldc + i0,
                        job.Ldc, job.Alpha, job.Beta, rows, columns);
                else
                    GemmMicroKernel.Tile(k, aPanel, aRow, aStep, bPanel, bStep, job.C + i0 * job.Ldc + j0, job.Ldc,
                        job.Alpha, job.Beta, rows, columns);
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
