using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Backprop.Distributed;

/// <summary>
/// A group of processes (ranks) that train together: each knows its rank and the group's size, and the collectives
/// (sum all-reduce, broadcast, barrier) must be called by every rank in the same order. <see cref="FromEnvironment"/>
/// gives MPI's world under a launcher (<c>mpirun</c>) and a group of one otherwise; <see cref="InProcess"/> gives a
/// group of threads in this process for tests.
/// </summary>
public abstract class Communicator : IDisposable
{
    /// <summary>This process's index in the group, 0 to <see cref="Size"/> − 1.</summary>
    public abstract int Rank { get; }

    /// <summary>The number of ranks in the group.</summary>
    public abstract int Size { get; }

    /// <summary>This rank's index among the ranks on the same machine.</summary>
    public abstract int LocalRank { get; }

    /// <summary>The number of ranks on this machine.</summary>
    public abstract int LocalSize { get; }

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over the ranks.</summary>
    public abstract void AllReduce(Span<float> values);

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over the ranks.</summary>
    public abstract void AllReduce(Span<double> values);

    /// <summary>Copies rank <paramref name="root"/>'s bytes into <paramref name="bytes"/> on the other ranks.</summary>
    public abstract void Broadcast(Span<byte> bytes, int root = 0);

    /// <summary>Returns on each rank once every rank has called it.</summary>
    public abstract void Barrier();

    /// <summary>
    /// Ends every rank of the group: prints <paramref name="message"/> on stderr and stops them all with
    /// <paramref name="exitCode"/>, so that no rank is left waiting in a collective for one that failed.
    /// </summary>
    [DoesNotReturn]
    public abstract void Abort(string message, int exitCode = 1);

    /// <summary>Copies rank <paramref name="root"/>'s values into <paramref name="values"/> on the others.</summary>
    public void Broadcast<T>(Span<T> values, int root = 0) where T : unmanaged =>
        Broadcast(MemoryMarshal.AsBytes(values), root);

    /// <summary>
    /// Sums a contiguous float32 or float64 CPU tensor over the ranks, in place (its version is bumped, as any
    /// in-place write).
    /// </summary>
    public void AllReduce(Tensor tensor)
    {
        Require(tensor, "AllReduce");
        if (tensor.DType == DType.Float32) AllReduce(tensor.AsSpan<float>());
        else if (tensor.DType == DType.Float64) AllReduce(tensor.AsSpan<double>());
        else throw new ArgumentException($"AllReduce: a tensor of shape {Shapes.Format(tensor.shape)} is " +
                $"{tensor.DType}; the sum is taken over float32 or float64 tensors", nameof(tensor));
        tensor.BumpVersion();
    }

    /// <summary>Copies rank <paramref name="root"/>'s values of a contiguous CPU tensor into the others'.</summary>
    public void Broadcast(Tensor tensor, int root = 0)
    {
        Require(tensor, "Broadcast");
        Span<byte> bytes = tensor.DType switch
        {
            DType.Float32 => MemoryMarshal.AsBytes(tensor.AsSpan<float>()),
            DType.Float64 => MemoryMarshal.AsBytes(tensor.AsSpan<double>()),
            DType.Int64 => MemoryMarshal.AsBytes(tensor.AsSpan<long>()),
            _ => MemoryMarshal.AsBytes(tensor.AsSpan<bool>()),
        };
        Broadcast(bytes, root);
        tensor.BumpVersion();
    }

    private static void Require(Tensor tensor, string op)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Device != Device.Cpu || !tensor.IsContiguous)
            throw new ArgumentException($"{op}: the tensor of shape {Shapes.Format(tensor.shape)} must be a " +
                $"contiguous CPU tensor (it is {(tensor.IsContiguous ? "" : "strided, ")}on {tensor.Device})",
                nameof(tensor));
        if (tensor.GradFn is not null)
            throw new ArgumentException($"{op}: the tensor of shape {Shapes.Format(tensor.shape)} was produced by " +
                $"{tensor.GradFn.Name}; Detach() it before writing into it", nameof(tensor));
    }

    /// <summary>Checks that <paramref name="root"/> names a rank of the group.</summary>
    protected void CheckRoot(int root)
    {
        if ((uint)root >= (uint)Size)
            throw new ArgumentOutOfRangeException(nameof(root), root,
                $"Broadcast: root {root} is not a rank of a group of {Size}");
    }

    /// <summary>True when an MPI launcher started this process (Open MPI's, or a PMI one such as MPICH's).</summary>
    public static bool IsLaunched =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null ||
        Environment.GetEnvironmentVariable("PMI_SIZE") is not null;

    /// <summary>
    /// MPI's world when the process runs under a launcher, else a group of one (which never loads MPI). Under a
    /// launcher, unless <see cref="Threads.EnvironmentVariable"/> is set, the kernels get the machine's cores
    /// divided by the ranks on this machine, so that ranks do not fight over cores; and TERM is set to <c>dumb</c>,
    /// since the rank's output goes through the launcher, not to a terminal. MPI's world is one per process: every
    /// call returns it, and disposing it finalizes MPI for good.
    /// </summary>
    public static Communicator FromEnvironment()
    {
        if (!IsLaunched) return new SingleProcess();
        // a rank writes to a pty that mpirun relays: with a real TERM, .NET would put a terminal's escape codes into
        // mpirun's output (this holds for writes after this call; a program that wrote before sets TERM itself)
        Environment.SetEnvironmentVariable("TERM", "dumb");
        var world = Mpi.MpiCommunicator.InitWorld();
        if (Environment.GetEnvironmentVariable(Threads.EnvironmentVariable) is null)
            Threads.Count = Math.Max(1, Environment.ProcessorCount / world.LocalSize);
        return world;
    }

    /// <summary>
    /// A group of <paramref name="size"/> ranks in this process, one communicator per rank, each to be used by its
    /// own thread; sums are taken in rank order, so every rank gets the same bits.
    /// </summary>
    public static Communicator[] InProcess(int size) => InProcessGroup.Create(size);

    /// <summary>Releases the group (MPI_Finalize for MPI's world).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the group holds.</summary>
    protected virtual void Dispose(bool disposing) { }

    // a group of one: every collective leaves the values as they are
    private sealed class SingleProcess : Communicator
    {
        public override int Rank => 0;
        public override int Size => 1;
        public override int LocalRank => 0;
        public override int LocalSize => 1;
        public override void AllReduce(Span<float> values) { }
        public override void AllReduce(Span<double> values) { }
        public override void Broadcast(Span<byte> bytes, int root = 0) => CheckRoot(root);
        public override void Barrier() { }

        [DoesNotReturn]
        public override void Abort(string message, int exitCode = 1)
        {
            Console.Error.WriteLine(message);
            Environment.Exit(exitCode);
        }
    }
}
