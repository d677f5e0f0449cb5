using System.Diagnostics;
using Backprop.Distributed;

namespace Backprop.Cli;

/// <summary>
/// <c>--ranks N</c>: starts this same command as N ranks under Open MPI's <c>mpirun</c> on this machine and relays
/// their output; the ranks find each other through the launcher (<see cref="Communicator.FromEnvironment"/>).
/// </summary>
internal static class MpiLauncher
{
    /// <summary>This process's rank as its launcher set it, without loading MPI; 0 when not launched.</summary>
    public static int EnvironmentRank =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK")
            ?? Environment.GetEnvironmentVariable("PMI_RANK"), out int rank) ? rank : 0;

    /// <summary>Runs <c>backprop <paramref name="command"/> <paramref name="args"/></c> as <paramref name="ranks"/>
    /// ranks, <c>--ranks</c> left out; returns mpirun's exit code.</summary>
    public static int Run(int ranks, string command, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        var mpirun = FindOnPath("mpirun") ?? throw new UsageException(
            $"--ranks {ranks}: mpirun was not found on PATH; install Open MPI (Debian, Ubuntu: apt-get install " +
            "openmpi-bin; Fedora: dnf install openmpi) or start the ranks with your cluster's launcher");
        var start = new ProcessStartInfo(mpirun)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Open MPI refuses root unless told, and refuses more ranks than cores unless oversubscribed
        if (Environment.UserName == "root") start.ArgumentList.Add("--allow-run-as-root");
        foreach (var a in new[] { "--oversubscribe", "-np", ranks.ToString(), "-x", "TERM=dumb" })
            start.ArgumentList.Add(a);
        start.ArgumentList.Add(Environment.ProcessPath!);
        // run through the dotnet host (dotnet backprop.dll, or a test host): the ranks run the command's assembly
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) != "backprop")
            start.ArgumentList.Add(typeof(MpiLauncher).Assembly.Location);
        start.ArgumentList.Add(command);
        foreach (var a in WithoutRanks(args)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        stdout.Write(process.StandardOutput.ReadToEnd());
        stderr.Write(errors.Result);
        process.WaitForExit();
        return process.ExitCode;
    }

    private static IEnumerable<string> WithoutRanks(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--ranks") i++;
            else if (!args[i].StartsWith("--ranks=", StringComparison.Ordinal)) yield return args[i];
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
