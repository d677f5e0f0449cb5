namespace Backprop.Distributed.Mpi;

/// <summary>
/// MPI's world (MPI_COMM_WORLD): one per process, initialized on first use and finalized on Dispose or, failing
/// that, when the process exits (a rank that exits without MPI_Finalize makes mpirun report a failure).
/// </summary>
internal sealed unsafe class MpiCommunicator : Communicator
{
    // MPI counts are ints: longer buffers go in pieces of this many elements
    private const int MaxCount = 1 << 30;
    private static MpiCommunicator? s_world;
    private readonly int _rank, _size, _localRank, _localSize;

    private MpiCommunicator()
    {
        MpiNative.Check(MpiNative.MPI_Initialized(out int initialized), "MPI_Initialized");
        if (initialized == 0) MpiNative.Check(MpiNative.MPI_Init(0, 0), "MPI_Init");
        MpiNative.Check(MpiNative.MPI_Comm_rank(MpiNative.CommWorld, out _rank), "MPI_Comm_rank");
        MpiNative.Check(MpiNative.MPI_Comm_size(MpiNative.CommWorld, out _size), "MPI_Comm_size");
        // the launchers say where each rank sits on its machine; without them every rank counts as its own machine
        _localRank = EnvironmentInt("OMPI_COMM_WORLD_LOCAL_RANK") ?? EnvironmentInt("MPI_LOCALRANKID") ?? 0;
        _localSize = EnvironmentInt("OMPI_COMM_WORLD_LOCAL_SIZE") ?? EnvironmentInt("MPI_LOCALNRANKS") ?? 1;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Finalize_();
    }

    public static MpiCommunicator InitWorld()
    {
        lock (typeof(MpiCommunicator)) return s_world ??= new MpiCommunicator();
    }

    private static int? EnvironmentInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int value) ? value : null;

    public override int Rank => _rank;
    public override int Size => _size;
    public override int LocalRank => _localRank;
    public override int LocalSize => _localSize;

    public override void AllReduce(Span<float> values)
    {
        fixed (float* p = values) SumInPlace(p, values.Length, sizeof(float), MpiNative.Float);
    }

    public override void AllReduce(Span<double> values)
    {
        fixed (double* p = values) SumInPlace(p, values.Length, sizeof(double), MpiNative.Double);
    }

    private static void SumInPlace(void* values, int count, int elementSize, nint type)
    {
        for (int start = 0; start < count; start += MaxCount)
            MpiNative.Check(MpiNative.MPI_Allreduce(MpiNative.InPlace, (byte*)values + (long)start * elementSize,
                Math.Min(MaxCount, count - start), type, MpiNative.Sum, MpiNative.CommWorld), "MPI_Allreduce");
    }

    public override void Broadcast(Span<byte> bytes, int root = 0)
    {
        CheckRoot(root);
        fixed (byte* p = bytes)
            for (int start = 0; start < bytes.Length; start += MaxCount)
                MpiNative.Check(MpiNative.MPI_Bcast(p + start, Math.Min(MaxCount, bytes.Length - start),
                    MpiNative.Byte, root, MpiNative.CommWorld), "MPI_Bcast");
    }

    public override void Barrier() => MpiNative.Check(MpiNative.MPI_Barrier(MpiNative.CommWorld), "MPI_Barrier");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public override void Abort(string message, int exitCode = 1)
    {
        Console.Out.Flush();
        Console.Error.WriteLine(message);
        Console.Error.Flush();
        MpiNative.MPI_Abort(MpiNative.CommWorld, exitCode);
        Environment.Exit(exitCode);   // MPI_Abort does not return; this only satisfies the compiler's flow analysis
    }

    protected override void Dispose(bool disposing) => Finalize_();

    private static void Finalize_()
    {
        lock (typeof(MpiCommunicator))
        {
            if (MpiNative.MPI_Finalized(out int done) == 0 && done == 0) MpiNative.MPI_Finalize();
        }
    }
}
