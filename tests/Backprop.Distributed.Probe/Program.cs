using Backprop;
using Backprop.Distributed;
using Backprop.Nn;

// collectives: sums, broadcasts and a DistributedDataParallel step on MPI's world, each checked on every rank
// against the value it must have; prints one line per rank. fail R: rank R throws inside a loop of all-reduces.
using var world = Communicator.FromEnvironment();
try
{
    if (args is ["fail", var failing]) FailOn(world, int.Parse(failing));
    else Collectives(world);
}
catch (Exception e)
{
    world.Abort($"probe: rank {world.Rank} of {world.Size}: {e.Message}");
}
return 0;

static void Collectives(Communicator world)
{
    int n = world.Size, r = world.Rank;
    // 3M floats: more than one MPI message, summed to values every rank can predict exactly
    var big = new float[3 << 20];
    for (int i = 0; i < big.Length; i++) big[i] = (i % 1000) * (r + 1);
    world.AllReduce(big.AsSpan());
    for (int i = 0; i < big.Length; i++)
        Require(big[i] == (i % 1000) * n * (n + 1) / 2f, $"AllReduce float element {i}: {big[i]}");
    double[] small = [r, 0.5];
    world.AllReduce(small.AsSpan());
    Require(small[0] == n * (n - 1) / 2.0 && small[1] == 0.5 * n, $"AllReduce double: {small[0]}, {small[1]}");
    long[] ids = [r * 10 + 7];
    world.Broadcast(ids.AsSpan(), root: n - 1);
    Require(ids[0] == (n - 1) * 10 + 7, $"Broadcast from rank {n - 1}: {ids[0]}");
    world.Barrier();
    Require(Threads.Count == Math.Max(1, Environment.ProcessorCount / world.LocalSize) ||
        Environment.GetEnvironmentVariable(Threads.EnvironmentVariable) is not null,
        $"kernel threads {Threads.Count} for {world.LocalSize} ranks on {Environment.ProcessorCount} cores");

    // one step on rows of different counts per rank: the gradient of the mean over all rows
    var model = new Linear(3, 1, generator: new Generator(r));
    var ddp = new DistributedDataParallel(model, world);
    int rows = r + 1, total = n * (n + 1) / 2;
    var x = Tensor.Ones([rows, 3]) * (r + 1.0);
    (ddp.Forward(x).Sum() / rows).Backward();
    Require(ddp.ReduceGradients(rows) == total, "global rows");
    // d mean(w·x + b)/dw = the mean row: Σ_r rows_r · (r + 1) / total
    double expected = Enumerable.Range(0, n).Sum(k => (k + 1.0) * (k + 1)) / total;
    float got = model.Weight.Grad!.ToArray<float>()[0];
    Require(Math.Abs(got - expected) < 1e-5, $"weighted gradient {got}, expected {expected}");
    ddp.CheckInSync();
    Console.WriteLine($"rank {r} of {n} (local {world.LocalRank} of {world.LocalSize}): collectives ok");
}

static void FailOn(Communicator world, int failing)
{
    var values = new float[16];
    for (int step = 0; ; step++)
    {
        if (step == 3 && world.Rank == failing) throw new InvalidDataException($"bad batch at step {step}");
        world.AllReduce(values.AsSpan());
    }
}

static void Require(bool condition, string what)
{
    if (!condition) throw new InvalidOperationException($"wrong result: {what}");
}
