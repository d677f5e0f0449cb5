using System.Diagnostics;
using System.Text.Json;
using Backprop.IO;

namespace Backprop.Tests.Distributed;

/// <summary>
/// Real ranks under Open MPI's mpirun (which .ci/run installs): the probe's collectives on 2 ranks and on 4
/// oversubscribed ranks over TCP on loopback (the transport between machines), a failing rank aborting the others,
/// and <c>backprop train</c> on 2 and 4 ranks against one process. Skipped, saying so, where mpirun is missing.
/// </summary>
public sealed class MpiTests : IDisposable
{
    private static readonly string? MpiRun = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator).Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);
    private static readonly string[] Tcp = ["--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo"];
    private const string Missing = "mpirun is not installed (apt-get install openmpi-bin): the MPI tests did not run";
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-mpi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Beside(string assembly) => Path.Combine(AppContext.BaseDirectory, assembly);

    private static (int Code, string Stdout, string Stderr) Launch(int ranks, string[] transport,
        params string[] program)
    {
        var start = new ProcessStartInfo(MpiRun!) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Environment.UserName == "root") start.ArgumentList.Add("--allow-run-as-root");
        foreach (var a in (string[])[.. transport, "--oversubscribe", "-np", ranks.ToString(), "dotnet", .. program])
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun with {ranks} ranks did not finish in 2 minutes: a rank was left hanging");
        }
        return (process.ExitCode, stdout, stderr.Result);
    }

    [SkippableTheory]
    [InlineData(2, false)]
    [InlineData(4, true)]
    public void CollectivesGiveTheSumsOnEveryRank(int ranks, bool overTcp)
    {
        Skip.If(MpiRun is null, Missing);
        var (code, stdout, stderr) = Launch(ranks, overTcp ? Tcp : [], Beside("Backprop.Distributed.Probe.dll"));
        Assert.True(code == 0, stderr + stdout);
        for (int r = 0; r < ranks; r++)
            Assert.Contains($"rank {r} of {ranks} (local {r} of {ranks}): collectives ok", stdout);
    }

    [SkippableFact]
    public void AFailingRankAbortsEveryRankWithItsMessage()
    {
        Skip.If(MpiRun is null, Missing);
        var (code, _, stderr) = Launch(3, [], Beside("Backprop.Distributed.Probe.dll"), "fail", "1");
        Assert.NotEqual(0, code);
        Assert.Contains("probe: rank 1 of 3: bad batch at step 3", stderr);
    }

    [SkippableTheory]
    [InlineData(2, "32", false)]
    [InlineData(4, "41", true)]   // 1438 rows in batches of 41 end with 3 rows: rank 3 has none in the last batch
    public void TrainOnRanksGivesTheOneProcessWeights(int ranks, string batch, bool overTcp)
    {
        Skip.If(MpiRun is null, Missing);
        string[] train = ["train", "digits", "--epochs", "2", "--batch-size", batch, "--json"];
        string many = Path.Combine(_dir, "many.safetensors"), one = Path.Combine(_dir, "one.safetensors");
        var (code, stdout, stderr) =
            Launch(ranks, overTcp ? Tcp : [], [Beside("Backprop.Cli.dll"), .. train, "--save", many]);
        Assert.True(code == 0, stderr + stdout);
        var single = new StringWriter();
        Assert.Equal(0, Backprop.Cli.Cli.Run([.. train, "--save", one], single, new StringWriter()));

        // one JSON object from rank 0 alone, with no terminal escape codes, though each rank wrote to a pty
        var parallel = JsonDocument.Parse(stdout).RootElement;
        var expected = JsonDocument.Parse(single.ToString()).RootElement;
        Assert.Equal(ranks, parallel.GetProperty("ranks").GetInt32());
        double Figure(JsonElement run, string name) => run.GetProperty(name).GetDouble();
        Assert.Equal(Figure(expected, "final_loss"), Figure(parallel, "final_loss"), 1e-4);
        Assert.Equal(Figure(expected, "test_accuracy"), Figure(parallel, "test_accuracy"));
        var a = SafeTensors.Load(many);
        foreach (var (name, w) in SafeTensors.Load(one))
        {
            float[] want = w.ToArray<float>(), got = a[name].ToArray<float>();
            for (int i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(got[i] - want[i]) <= 1e-4 * Math.Max(1, Math.Abs(want[i])),
                    $"{name}[{i}]: {got[i]} vs {want[i]}");
        }
    }

    [SkippableFact]
    public void RanksOptionRelaunchesTheCommandUnderMpirun()
    {
        Skip.If(MpiRun is null, Missing);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Backprop.Cli.Cli.Run(["train", "moons", "--epochs", "5", "--ranks", "2", "--json"], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        Assert.Equal(2, JsonDocument.Parse(stdout.ToString()).RootElement.GetProperty("ranks").GetInt32());

        // rank 0 alone prints: one summary, not one per rank (progress goes to stderr, a line every few seconds)
        stdout = new StringWriter();
        stderr = new StringWriter();
        code = Backprop.Cli.Cli.Run(["train", "moons", "--epochs", "5", "--ranks=2"], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.DoesNotContain("epoch 1/5", stderr.ToString());
        Assert.StartsWith("moons softmax: 5 epochs in ", lines[^1]);
        Assert.Contains(" s on 2 ranks, last epoch's loss ", lines[^1]);
    }

    [Fact]
    public void RanksOptionWithoutMpirunSaysWhatToInstall()
    {
        // a child process with an empty PATH, so that this test host's PATH stays as the other tests need it
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardError = true };
        foreach (var a in new[] { Beside("Backprop.Cli.dll"), "train", "moons", "--ranks", "2" })
            start.ArgumentList.Add(a);
        start.Environment["PATH"] = "";
        using var process = Process.Start(start)!;
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("--ranks 2: mpirun was not found on PATH; install Open MPI (Debian, Ubuntu: apt-get install " +
            "openmpi-bin", stderr);
    }
}
