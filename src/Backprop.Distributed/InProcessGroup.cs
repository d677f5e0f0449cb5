using System.Numerics.Tensors;

namespace Backprop.Distributed;

/// <summary>
/// Ranks as threads of one process, for tests and for trying a training loop without a launcher. A collective
/// copies each rank's values into a shared slot, waits for every rank, and each rank then reads the slots in rank
/// order; a second wait keeps the slots until every rank has read them.
/// </summary>
internal sealed class InProcessGroup
{
    private readonly Barrier _barrier;
    private readonly byte[]?[] _slots;
    private readonly CancellationTokenSource _abort = new();
    private string? _abortMessage;

    private InProcessGroup(int size)
    {
        _barrier = new Barrier(size);
        _slots = new byte[size][];
    }

    public static Communicator[] Create(int size)
    {
        if (size < 1)
            throw new ArgumentOutOfRangeException(nameof(size), size,
                $"InProcess: a group needs at least one rank, got {size}");
        var group = new InProcessGroup(size);
        return Enumerable.Range(0, size).Select(rank => (Communicator)new Member(group, rank)).ToArray();
    }

    private void Wait(int rank)
    {
        try { _barrier.SignalAndWait(_abort.Token); }
        catch (OperationCanceledException)
        {
            throw new DistributedAbortException($"rank {rank}: the group was aborted: {_abortMessage}");
        }
    }

    private sealed class Member(InProcessGroup group, int rank) : Communicator
    {
        public override int Rank => rank;
        public override int Size => group._slots.Length;
        public override int LocalRank => rank;
        public override int LocalSize => Size;

        public override void AllReduce(Span<float> values) => Sum(values);

        public override void AllReduce(Span<double> values) => Sum(values);

        private void Sum<T>(Span<T> values) where T : unmanaged, System.Numerics.IAdditionOperators<T, T, T>,
            System.Numerics.IAdditiveIdentity<T, T>
        {
            group._slots[rank] = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray();
            group.Wait(rank);
            for (int r = 0; r < Size; r++)
            {
                var slot = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(group._slots[r]);
                if (slot.Length != values.Length)
                    throw new InvalidOperationException($"AllReduce: rank {rank} has {values.Length} values but " +
                        $"rank {r} has {slot.Length}; every rank must reduce the same count");
                if (r == 0) slot.CopyTo(values);
                else TensorPrimitives.Add(values, slot, values);
            }
            group.Wait(rank);
        }

        public override void Broadcast(Span<byte> bytes, int root = 0)
        {
            CheckRoot(root);
            if (rank == root) group._slots[root] = bytes.ToArray();
            group.Wait(rank);
            var source = group._slots[root]!;
            if (source.Length != bytes.Length)
                throw new InvalidOperationException($"Broadcast: rank {rank} expects {bytes.Length} bytes but " +
                    $"root {root} sent {source.Length}");
            if (rank != root) source.CopyTo(bytes);
            group.Wait(rank);
        }

        public override void Barrier() => group.Wait(rank);

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        public override void Abort(string message, int exitCode = 1)
        {
            group._abortMessage ??= $"rank {rank}: {message}";
            group._abort.Cancel();
            throw new DistributedAbortException($"rank {rank} aborted the group: {message}");
        }
    }
}

/// <summary>An in-process group was aborted by one of its ranks; every rank's next collective throws it.</summary>
public sealed class DistributedAbortException(string message) : Exception(message);
