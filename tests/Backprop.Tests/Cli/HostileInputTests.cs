using System.Diagnostics;
using System.Text.Json;
using Backprop.Cli;
using Backprop.IO;

namespace Backprop.Tests.Cli;

/// <summary>
/// Inputs that once crashed the command or were accepted when they should not be: every path ends in exit 0, 1 (a
/// non-finite result, named) or 2 (bad input, one short line), and nothing is written half-way.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathIn(string name) => Path.Combine(_dir, name);

    private static (int code, string stdout, string stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Backprop.Cli.Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string AssertUsageError(string fragment, params string[] args)
    {
        var (code, _, stderr) = Run(args);
        Assert.True(code == Backprop.Cli.Cli.UsageError, $"exit {code}: {stderr}");
        Assert.Contains(fragment, stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(stderr.Length <= Backprop.Cli.Cli.MaxMessageLength + 40, $"{stderr.Length} characters");
        return stderr;
    }

    // A constant part of the expression that is not finite has no gate to blame: the number is named instead.
    [Theory]
    [InlineData("1/0", "Infinity")]
    [InlineData("1e400", "Infinity")]
    [InlineData("0/0", "NaN")]
    [InlineData("log(0)", "-Infinity")]
    [InlineData("max(x,1e400)", "Infinity")]
    [InlineData("(1/0)^x", "Infinity")]
    public void NonFiniteConstants_ExitOneNamingTheConstant(string expression, string shown)
    {
        var (code, stdout, stderr) = Run("grad", expression, "--at", "x=1", "--json");
        Assert.Equal(GradCommand.NotFinite, code);
        Assert.Equal(shown, JsonDocument.Parse(stdout).RootElement.GetProperty("value").GetString());
        Assert.Contains($"a constant part of the expression is {shown}", stderr);
    }

    [Theory]
    [InlineData("--svg")]
    [InlineData("--dot")]
    public void AnEmptyOutputPath_IsAUsageError(string option) =>
        AssertUsageError($"{option}: the path is empty", "grad", "x", "--at", "x=1", option, "");

    [Fact]
    public void EmptyPathsOfTrainAndDemo_AreUsageErrors()
    {
        AssertUsageError("--load: the path is empty", "train", "spiral", "--epochs", "1", "--load", "");
        AssertUsageError("--save: the path is empty", "train", "spiral", "--epochs", "1", "--save", "");
        AssertUsageError("--out: the path is empty", "demo", "--out", "");
    }

    [Fact]
    public void AnUnwritableOutput_IsRefusedBeforeAnythingIsPrinted()
    {
        var (code, stdout, stderr) = Run("grad", "x*2", "--at", "x=1", "--svg", Path.Combine(_dir, "missing", "c.svg"));
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("does not exist", stderr);
        AssertUsageError("it is a folder", "grad", "x", "--at", "x=1", "--dot", _dir);
    }

    [SkippableFact]
    public void ADeviceTarget_IsRefusedAndLeftAsItWas()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        AssertUsageError("not a regular file", "grad", "x", "--at", "x=1", "--svg", "/dev/null");
        Assert.False(File.GetAttributes("/dev/null").HasFlag(FileAttributes.Directory));
        Assert.Equal(0, new FileInfo("/dev/null").Length);  // still the device: a regular file would hold the SVG
    }

    [Fact]
    public void ASaveThroughASymlink_WritesItsTargetAndKeepsTheLink()
    {
        string target = PathIn("real.svg"), link = PathIn("link.svg");
        File.WriteAllText(target, "old");
        File.CreateSymbolicLink(link, target);
        var (code, _, stderr) = Run("grad", "x*2", "--at", "x=1", "--svg", link);
        Assert.True(code == 0, stderr);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Contains("</svg>", File.ReadAllText(target));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void AVariableGivenTwice_IsAUsageError() =>
        AssertUsageError("--at: 'x' is given twice (1 and 2)", "grad", "x", "--at", "x=1,x=2");

    [Fact]
    public void AVariableNamedNeg_IsAVariable()
    {
        var (code, stdout, stderr) = Run("grad", "neg*2 - neg", "--at", "neg=3", "--json");
        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(3, root.GetProperty("value").GetDouble());
        Assert.Equal(1, root.GetProperty("gradients").GetProperty("neg").GetDouble());
        AssertUsageError("unknown function 'neg'", "grad", "neg(x)", "--at", "x=1");
    }

    [Fact]
    public void DoubleDash_EndsTheOptions_SoAnExpressionMayStartWithTwoMinuses()
    {
        var (code, stdout, stderr) = Run("grad", "--at", "x=5", "--json", "--", "--x");
        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(5, root.GetProperty("value").GetDouble());
        Assert.Equal(1, root.GetProperty("gradients").GetProperty("x").GetDouble());
    }

    [Fact]
    public void AHugeOrMultilineInput_GivesAShortOneLineError()
    {
        AssertUsageError("unknown function", "grad", new string('f', 1_000_000) + "(x)", "--at", "x=1");
        AssertUsageError("not of the form", "grad", "x", "--at", "x\n\n" + new string('y', 100_000));
    }

    [Fact]
    public void AStateDictWithManyExtraEntries_GivesAShortMessage()
    {
        string path = PathIn("many.safetensors");
        var state = Enumerable.Range(0, 2000).ToDictionary(i => $"extra.{i}", _ => Tensor.Zeros([1]));
        state["0.weight"] = Tensor.Zeros([3, 2]);
        state["0.bias"] = Tensor.Zeros([3]);
        SafeTensors.Save(path, state);
        string stderr = AssertUsageError("and 1995 more", "train", "spiral", "--epochs", "0", "--load", path);
        Assert.DoesNotContain("extra.1999", stderr);
    }

    [SkippableFact]
    public void ALoadFromAPipe_Works()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string saved = PathIn("w.safetensors"), fifo = PathIn("pipe");
        Assert.Equal(0, Run("train", "spiral", "--epochs", "3", "--save", saved).code);
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        var writer = Task.Run(() =>
        {
            using var pipe = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            pipe.Write(File.ReadAllBytes(saved));
        });
        var (code, stdout, stderr) = Run("train", "spiral", "--epochs", "0", "--load", fifo);
        writer.Wait();
        Assert.True(code == 0, stderr);
        Assert.Contains("0 epochs", stdout);
    }

    [Fact]
    public void ADivergingLoss_ExitsOneNamingTheEpoch_AndSavesNothing()
    {
        string save = PathIn("w.safetensors");
        var (code, _, stderr) = Run("train", "spiral", "--model", "mlp", "--lr", "1e30", "--epochs", "50", "--json",
            "--save", save);
        Assert.Equal(GradCommand.NotFinite, code);
        Assert.Matches(@"the loss became (NaN|Infinity|-Infinity) at epoch \d+", stderr);
        Assert.False(File.Exists(save));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void ADivergingLossUnderDetectAnomaly_NamesTheOp()
    {
        var (code, _, stderr) = Run("train", "spiral", "--model", "mlp", "--lr", "1e30", "--epochs", "50",
            "--detect-anomaly");
        Assert.Equal(GradCommand.NotFinite, code);
        Assert.Matches(@"at epoch \d+: \w+ returned NaN or Inf in its gradient", stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void NonFiniteWeights_LoadWithAWarning_AndANonFiniteLossExitsOne()
    {
        string path = PathIn("nan.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["0.weight"] = Tensor.FromArray(new[] { 1f, float.NaN, 0, 0, 0, 0 }, [3, 2]),
            ["0.bias"] = Tensor.Zeros([3]),
        });
        var (code, _, stderr) = Run("train", "spiral", "--epochs", "0", "--load", path);
        Assert.Contains("warning: --load", stderr);
        Assert.Contains("NaN or infinite weights in 0.weight", stderr);
        Assert.DoesNotContain("0.bias", stderr);
        Assert.Contains("error: the loss is NaN before training", stderr);
        Assert.Equal(GradCommand.NotFinite, code);
    }

    [Fact]
    public void AnUnwritableSaveFolder_IsRefusedBeforeTraining()
    {
        // root writes into read-only folders, so the test uses a folder no one can create files in
        string folder = Environment.IsPrivilegedProcess ? "/proc" : PathIn("readonly");
        if (!Environment.IsPrivilegedProcess)
        {
            Directory.CreateDirectory(folder);
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) =
            Run("train", "spiral", "--model", "mlp", "--save", Path.Combine(folder, "w.safetensors"));
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("backprop: error: --save:", stderr);
        Assert.True(clock.Elapsed.TotalSeconds < 2, $"{clock.Elapsed.TotalSeconds} s: it trained first");
    }

    // A failure no input should cause (here, the output stream itself failing) ends in one line and exit 70.
    [Fact]
    public void AnUnexpectedFailure_IsOneLineWithExitSeventy()
    {
        var stderr = new StringWriter();
        int code = Backprop.Cli.Cli.Run(["grad", "x", "--at", "x=1"], new FailingWriter(), stderr);
        Assert.Equal(Backprop.Cli.Cli.InternalError, code);
        Assert.Contains("internal error (InvalidOperationException): the terminal went away", stderr.ToString());
        Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private sealed class FailingWriter : StringWriter
    {
        public override void Write(char value) => throw new InvalidOperationException("the terminal\nwent away");
        public override void Write(string? value) => throw new InvalidOperationException("the terminal\nwent away");
        public override void WriteLine(string? value) => throw new InvalidOperationException("the terminal\nwent away");
    }
}
