using System.Diagnostics;
using System.Globalization;
using Backprop.Distributed;

// The median time of a sum all-reduce of 1M and 16M floats (and of 16M as four 4M buckets) on the ranks mpirun
// started, against copying the same bytes once in memory; rank 0 prints one JSON object per case.
using var world = Communicator.FromEnvironment();
int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
foreach (int floats in new[] { 1 << 20, 16 << 20 })
{
    var values = new float[floats];
    var copy = new float[floats];
    double reduce = Median(rounds, () => world.AllReduce(values.AsSpan()));
    double memcpy = Median(rounds, () => values.AsSpan().CopyTo(copy));
    Report($"allreduce-{floats >> 20}M", floats, reduce, memcpy);
    if (floats == 16 << 20)
    {
        const int bucket = 4 << 20;
        double bucketed = Median(rounds, () =>
        {
            for (int start = 0; start < floats; start += bucket) world.AllReduce(values.AsSpan(start, bucket));
        });
        Report("allreduce-16M-in-4M-buckets", floats, bucketed, memcpy);
    }
}

double Median(int n, Action body)
{
    body();   // warm-up: first touch of the pages and the transport's connections
    var times = new double[n];
    for (int i = 0; i < n; i++)
    {
        world.Barrier();
        var clock = Stopwatch.StartNew();
        body();
        times[i] = clock.Elapsed.TotalSeconds;
    }
    Array.Sort(times);
    return times[n / 2];
}

void Report(string name, int floats, double seconds, double memcpySeconds)
{
    if (world.Rank != 0) return;
    double gb = floats * 4.0 / 1e9;
    Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["case"] = name, ["ranks"] = world.Size,
        ["ms"] = Math.Round(seconds * 1e3, 3), ["GB_per_s"] = Math.Round(gb / seconds, 2),
        ["memcpy_ms"] = Math.Round(memcpySeconds * 1e3, 3), ["memcpy_GB_per_s"] = Math.Round(gb / memcpySeconds, 2),
    }));
}
