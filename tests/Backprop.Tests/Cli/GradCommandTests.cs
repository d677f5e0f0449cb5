using System.Text.Json;
using Backprop.Cli;

namespace Backprop.Tests.Cli;

public class GradCommandTests
{
    private static (int code, string stdout, string stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Backprop.Cli.Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Json_IsOneObjectWithRoundTripNumbers()
    {
        var (code, stdout, stderr) = Run("grad", "(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)", "--at", "x=3,y=-4", "--json");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(1.5456448841066441, doc.RootElement.GetProperty("value").GetDouble(), 1e-15);
        var g = doc.RootElement.GetProperty("gradients");
        Assert.Equal(2.0595697955721649, g.GetProperty("x").GetDouble(), 1e-12);
        Assert.Equal(1.5922327514838093, g.GetProperty("y").GetDouble(), 1e-15);
        Assert.Single(stdout.Trim().Split('\n'));
    }

    [Fact]
    public void Text_ShowsValueAndEveryGradient()
    {
        var (code, stdout, _) = Run("grad", "x*y", "--at", "x=4", "--at", "y=-3");
        Assert.Equal(0, code);
        Assert.Contains("-12", stdout);
        Assert.Matches(@"df/dx\s+-3", stdout);
        Assert.Matches(@"df/dy\s+4", stdout);
    }

    [Theory]
    [InlineData("log(x)", "x=-1", "NaN", "log")]
    [InlineData("1/x", "x=0", "Infinity", "reciprocal")]
    [InlineData("-exp(x)", "x=1000", "-Infinity", "exp")]
    public void NonFiniteValues_AreShownWarnedAndExitOne(string expr, string at, string shown, string gate)
    {
        var (code, stdout, stderr) = Run("grad", expr, "--at", at, "--json");
        Assert.Equal(GradCommand.NotFinite, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(shown, doc.RootElement.GetProperty("value").GetString());
        Assert.Contains($"gate '{gate}'", stderr);
    }

    [Theory]
    [InlineData("x*(y", "x=1,y=2", "column")]
    [InlineData("foo(x)", "x=1", "unknown function 'foo'")]
    [InlineData("x + y", "x=1", "variable 'y' has no value")]
    [InlineData("x", "x=abc", "'abc', which is not a finite number")]
    [InlineData("x", "x", "not of the form name=number")]
    public void BadInput_IsOneLineOnStderrWithExitTwo(string expr, string at, string fragment)
    {
        var (code, stdout, stderr) = Run("grad", expr, "--at", at);
        Assert.Equal(Backprop.Cli.Cli.UsageError, code);
        Assert.Equal("", stdout);
        Assert.Contains(fragment, stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", stderr); // never a stack trace
    }

    [Fact]
    public void UnknownCommandAndOption_AreUsageErrors()
    {
        Assert.Equal(2, Run("frobnicate").code);
        var (code, _, stderr) = Run("grad", "x", "--at", "x=1", "--bogus");
        Assert.Equal(2, code);
        Assert.Contains("--bogus", stderr);
    }

    [Fact]
    public void Demo_PrintsTheNotesNumbers()
    {
        var (code, stdout, _) = Run("demo");
        Assert.Equal(0, code);
        foreach (var number in new[] { "-12", "0.731059", "0.393224", "-0.589836", "-0.196612", "1.54564", "2.05957", "1.59223", "-8" })
            Assert.Contains(number, stdout);
        Assert.Contains("Gate by gate (section 3) and fused give the same gradients: yes", stdout);
    }

    [Fact]
    public void EveryWrittenFile_IsAnnouncedOnStderr_AndStdoutStaysTheAnswer()
    {
        string dir = Directory.CreateTempSubdirectory("backprop-grad-files-").FullName;
        try
        {
            string svg = Path.Combine(dir, "c.svg"), dot = Path.Combine(dir, "c.dot");
            var (code, stdout, stderr) = Run("grad", "x*y", "--at", "x=2,y=3", "--json", "--svg", svg, "--dot", dot);
            Assert.Equal(0, code);
            Assert.Equal("{\"value\":6,\"gradients\":{\"x\":3,\"y\":2}}\n", stdout.ReplaceLineEndings("\n"));
            Assert.Equal($"backprop: wrote {svg}\nbackprop: wrote {dot}\n", stderr.ReplaceLineEndings("\n"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
