using System.Diagnostics;
using Backprop.Tests.Packaging;

namespace Backprop.Tests.Interactive;

/// <summary>examples/notes/cs231n-backprop.cs runs as a file-based app and prints the notes' numbers.</summary>
[Collection(PackagingTests.Builds)]   // it builds src/Backprop, which the packaging test packs: never at once
public sealed class NotesAppTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-notes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_file_based_app_prints_the_notes_numbers_and_writes_a_page_per_circuit()
    {
        string root = PackagingTests.RepositoryRoot();
        string app = Path.Combine("examples", "notes", "cs231n-backprop.cs");
        var start = new ProcessStartInfo("dotnet", ["run", app, _dir])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"the app failed ({process.ExitCode}):\n{stdout}\n{await stderr}");

        Assert.Contains("f = -12, df/dx = -3, df/dy = 4", stdout);
        Assert.Contains("q = 3, f = -12; dq = -4, dx = -4, dy = -4, dz = 3", stdout);
        // gate by gate and with one fused sigmoid gate: the notes' gradients, twice
        const string neuron = "dx = [0.3932, -0.5898], dw = [-0.1966, -0.3932, 0.1966]";
        Assert.Equal(2, stdout.Split(neuron).Length - 1);
        Assert.Contains("f = 1.545645, df/dx = 2.059570, df/dy = 1.592233", stdout);
        Assert.Contains("dx = 1.583 + (-0.03576) + 0.5121 = 2.06", stdout);
        Assert.Contains("dW = dD·Xᵀ: True, dX = Wᵀ·dD: True", stdout);
        Assert.Equal(["chain-rule.html", "matmul-gate.svg", "multiply.html", "neuron.html", "staged.html"],
            Directory.GetFiles(_dir).Select(Path.GetFileName).Order());
    }
}
