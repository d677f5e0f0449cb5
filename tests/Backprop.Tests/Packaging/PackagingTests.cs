using System.Diagnostics;

namespace Backprop.Tests.Packaging;

[Collection(Builds)]
public class PackagingTests
{
    /// <summary>Tests that run dotnet on the repository's projects: one at a time, so builds never collide.</summary>
    public const string Builds = "Builds";

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Backprop.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("the repository root (Backprop.slnx) is not above the test binaries");
    }

    [Fact]
    public async Task PackagesInstallAndRunOutsideTheSolution()
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot(), "tools", "pack-smoke.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"pack-smoke.sh failed ({process.ExitCode}):\n{stdout}\n{await stderr}");
        Assert.Contains("\"gradients\":{\"x\":3,\"y\":2}", stdout);
        Assert.Contains("Backprop.Tool package", stdout);   // the size and no-native-binary checks ran
    }
}
