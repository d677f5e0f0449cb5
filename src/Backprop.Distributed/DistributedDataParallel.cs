using System.Runtime.InteropServices;
using Backprop.Nn;

namespace Backprop.Distributed;

/// <summary>
/// Data-parallel training (torch.nn.parallel.DistributedDataParallel): every rank holds the whole model and runs
/// it on its share of each global batch; <see cref="ReduceGradients"/> then gives every rank the gradient of the
/// whole batch, so optimizers and schedulers run unchanged and every rank takes the same step. Construction copies
/// rank 0's parameters and buffers to every rank.
/// </summary>
/// <remarks>
/// Each rank's gradient is weighted by its share of the global batch (rows / global rows), not by 1/ranks: the
/// mean loss over a global batch is the share-weighted sum of the ranks' mean losses, so a ragged last batch, even
/// one where some ranks have no rows, gives the single-process gradient. Gradients travel in buckets of about
/// <c>bucketCapMiB</c>, the last layers' first. Every rank but rank 0 reseeds its thread's default generator by its
/// rank, so dropout masks (and other draws from the default generator) differ from rank to rank instead of
/// repeating rank 0's; rank 0 draws what one process would. A Dropout given its own generator keeps it.
/// </remarks>
public sealed class DistributedDataParallel : Module
{
    private readonly Tensor[] _parameters;
    private readonly List<int[]> _buckets = [];   // indices into _parameters, one dtype per bucket
    private readonly double[] _header;            // [rows, then 1 per parameter that has a gradient on this rank]
    private readonly Array?[] _bucketBuffers;     // each bucket's packed gradients, kept from step to step
    private readonly System.Diagnostics.Stopwatch _reduceClock = new();

    /// <summary>Wraps <paramref name="module"/>; every rank must construct it at the same point.</summary>
    public DistributedDataParallel(Module module, Communicator communicator, double bucketCapMiB = 25)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        if (!(bucketCapMiB > 0))
            throw new ArgumentOutOfRangeException(nameof(bucketCapMiB), bucketCapMiB,
                $"DistributedDataParallel: the bucket size must be positive, got {bucketCapMiB} MiB");
        Module = RegisterModule("module", module);
        Communicator = communicator;
        _parameters = module.Parameters().ToArray();
        foreach (var p in _parameters)
            if (p.Device != Device.Cpu)
                throw new ArgumentException($"DistributedDataParallel: a parameter of shape {Shapes.Format(p.shape)} " +
                    $"is on {p.Device}; the gradients are reduced from CPU memory", nameof(module));
        _header = new double[1 + _parameters.Length];
        MakeBuckets((long)(bucketCapMiB * (1 << 20)));
        _bucketBuffers = new Array?[_buckets.Count];
        BroadcastState();
        if (communicator.Rank > 0) Generator.Default.ManualSeed(RankSeed(communicator.Rank));
    }

    // a seed per rank, far from the small seeds users pick (SplitMix64's increment times the rank)
    private static long RankSeed(int rank) => unchecked((long)(0x9E3779B97F4A7C15UL * (ulong)rank));

    /// <summary>The wrapped module.</summary>
    public Module Module { get; }

    /// <summary>The group the gradients are summed over.</summary>
    public Communicator Communicator { get; }

    /// <summary>
    /// Time spent in <see cref="ReduceGradients"/> since construction: packing, summing over the ranks (waiting for
    /// the slowest included) and unpacking.
    /// </summary>
    public TimeSpan ReduceTime => _reduceClock.Elapsed;

    /// <summary>Each bucket's parameter indices (in <see cref="Nn.Module.Parameters"/> order), as reduced.</summary>
    internal IReadOnlyList<int[]> Buckets => _buckets;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Module.Forward(input);

    // Last parameters first, as backward produces them; a bucket closes when the next one would pass the cap.
    private void MakeBuckets(long capBytes)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var bucket = new List<int>();
            long bytes = 0;
            for (int i = _parameters.Length - 1; i >= 0; i--)
            {
                if (_parameters[i].DType != dtype) continue;
                long size = (long)_parameters[i].Numel * dtype.ElementSize();
                if (bucket.Count > 0 && bytes + size > capBytes)
                {
                    _buckets.Add([.. bucket]);
                    bucket.Clear();
                    bytes = 0;
                }
                bucket.Add(i);
                bytes += size;
            }
            if (bucket.Count > 0) _buckets.Add([.. bucket]);
        }
    }

    /// <summary>
    /// Copies rank 0's parameters and buffers to every rank (done at construction; call it again on every rank
    /// after loading weights on rank 0 alone).
    /// </summary>
    public void BroadcastState()
    {
        using var _ = Autograd.NoGrad();
        foreach (var (_, tensor) in Module.StateDict()) Communicator.Broadcast(tensor, root: 0);
    }

    /// <summary>
    /// Replaces every parameter's gradient, on every rank, by the gradient of the global batch: the sum over ranks of
    /// each rank's gradient times <paramref name="rows"/> / (the ranks' rows summed). Call it on every rank after
    /// <c>Backward</c>, or without a backward pass where the rank has no rows (its gradient then counts as zero).
    /// Buffers (BatchNorm's running statistics) are then copied from rank 0, so every rank holds the same state.
    /// </summary>
    /// <returns>The global batch's rows.</returns>
    public int ReduceGradients(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        _reduceClock.Start();
        try { return Reduce(rows); }
        finally { _reduceClock.Stop(); }
    }

    private int Reduce(int rows)
    {
        _header[0] = rows;
        for (int i = 0; i < _parameters.Length; i++) _header[1 + i] = _parameters[i].Grad is null ? 0 : 1;
        Communicator.AllReduce(_header);
        int globalRows = (int)_header[0];
        if (globalRows == 0)
            throw new InvalidOperationException("ReduceGradients: no rank had any rows in this batch, so there is " +
                "no gradient to reduce");
        double share = (double)rows / globalRows;
        for (int b = 0; b < _buckets.Count; b++)
        {
            if (_parameters[_buckets[b][0]].DType == DType.Float32) ReduceBucket<float>(b, share);
            else ReduceBucket<double>(b, share);
        }
        using (Autograd.NoGrad())
            foreach (var (_, buffer) in Module.NamedBuffers()) Communicator.Broadcast(buffer, root: 0);
        return globalRows;
    }

    private void ReduceBucket<T>(int b, double share) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var bucket = _buckets[b];
        var buffer = (T[])(_bucketBuffers[b] ??= new T[bucket.Sum(i => _parameters[i].Numel)]);
        Array.Clear(buffer);
        var weight = T.CreateTruncating(share);
        int at = 0;
        foreach (int i in bucket)
        {
            int n = _parameters[i].Numel;
            // a rank without rows (share 0) adds zeros, whatever its Grad holds (NaN from an empty mean included)
            if (_parameters[i].Grad is { } g && share > 0)
            {
                var source = Dense(g, _parameters[i]).AsSpan<T>();
                System.Numerics.Tensors.TensorPrimitives.Multiply(source, weight, buffer.AsSpan(at, n));
            }
            at += n;
        }
        if (typeof(T) == typeof(float)) Communicator.AllReduce(MemoryMarshal.Cast<T, float>(buffer.AsSpan()));
        else Communicator.AllReduce(MemoryMarshal.Cast<T, double>(buffer.AsSpan()));
        at = 0;
        foreach (int i in bucket)
        {
            var p = _parameters[i];
            int n = p.Numel;
            if (_header[1 + i] > 0)   // some rank has a gradient; where none has, Grad stays null as in one process
            {
                if (p.Grad is not { } g || g.GradFn is not null || !g.IsContiguous || g.DType != p.DType)
                    p.Grad = g = Tensor.Zeros(p.Shape, p.DType);
                buffer.AsSpan(at, n).CopyTo(g.AsSpan<T>());
                g.BumpVersion();
            }
            at += n;
        }
    }

    // the gradient as a contiguous tensor of the parameter's dtype, to read as a span
    private static Tensor Dense(Tensor grad, Tensor parameter)
    {
        var g = grad.Detach();
        if (g.DType != parameter.DType) g = g.To(parameter.DType);
        return g.IsContiguous ? g : g.Contiguous();
    }

    /// <summary>
    /// Throws on every rank, naming the first parameter that differs, unless every rank holds the same bits in every
    /// parameter and buffer: a check that the ranks stayed in step.
    /// </summary>
    public void CheckInSync()
    {
        var state = Module.StateDict().ToList();
        var differs = new double[state.Count];
        for (int k = 0; k < state.Count; k++)
        {
            var mine = Bytes(state[k].Value);
            var root = (byte[])mine.Clone();
            Communicator.Broadcast(root.AsSpan(), root: 0);
            differs[k] = mine.AsSpan().SequenceEqual(root) ? 0 : 1;
        }
        Communicator.AllReduce(differs);
        int first = Array.FindIndex(differs, d => d > 0);
        if (first >= 0)
            throw new InvalidOperationException($"CheckInSync: '{state[first].Key}' differs from rank 0's on " +
                $"{differs[first]} of {Communicator.Size} ranks ({differs.Count(d => d > 0)} tensors differ)");
    }

    private static byte[] Bytes(Tensor t) => t.DType switch
    {
        DType.Float32 => MemoryMarshal.AsBytes<float>(t.ToArray<float>()).ToArray(),
        DType.Float64 => MemoryMarshal.AsBytes<double>(t.ToArray<double>()).ToArray(),
        DType.Int64 => MemoryMarshal.AsBytes<long>(t.ToArray<long>()).ToArray(),
        _ => MemoryMarshal.AsBytes<bool>(t.ToArray<bool>()).ToArray(),
    };
}
