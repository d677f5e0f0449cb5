using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Backprop.Tests.Viz;

public sealed class InteractivePageTests : IDisposable
{
    private const string Formula = "(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2) + max(x, y) * exp(-y) - log(x*x + 1)";
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-page-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (Value Output, IReadOnlyDictionary<string, Value> Inputs) Circuit(double x, double y)
    {
        var (output, inputs) = Expression.Parse(Formula).Build(new Dictionary<string, double> { ["x"] = x, ["y"] = y });
        output.Backward();
        return (output, inputs);
    }

    [Fact]
    public void The_page_is_self_contained_with_a_field_and_a_slider_per_input()
    {
        string html = Backprop.Viz.Html(Circuit(3, -4).Output, new VizOptions { Title = "f = " + Formula });
        Assert.DoesNotMatch(@"\s(src|href)\s*=", html);
        var addresses = Regex.Matches(html, @"https?://[^""' ]+").Select(m => m.Value).Distinct();
        Assert.Equal(["http://www.w3.org/2000/svg"], addresses);
        foreach (var (name, value) in new[] { ("x", "3"), ("y", "-4") })
        {
            Assert.Contains(
                $"<input type=\"number\" id=\"in-{name}\" data-input=\"{name}\" step=\"any\" value=\"{value}\">", html);
            Assert.Contains($"id=\"range-{name}\"", html);
        }
        // the staged code printed in JavaScript from the gate rules: Math.exp where C# has Math.Exp
        Assert.Contains("Math.exp(", html);
        Assert.DoesNotContain("Math.Exp(", html);
    }

    [Fact]
    public void A_user_defined_gate_has_no_page()
    {
        var cube = new Gate("cube", "³", 1, (a, b, k) => a * a * a, (a, b, k, y) => (3 * a * a, 0));
        var ex = Assert.Throws<ArgumentException>(() => Backprop.Viz.Html(Value.Apply(cube, new Value(2, "x"))));
        Assert.Contains("'cube' is user-defined", ex.Message);
    }

    // The page made at (3, -4) and opened at other inputs recomputes what the library computes there: the value,
    // both gradients and every explain sentence, word for word (at (3, -4) max routes to x, at (1.5, 2) to y).
    [SkippableTheory]
    [InlineData(1.5, 2)]
    [InlineData(0.25, -0.5)]
    [InlineData(-1, -1)]
    public void In_a_browser_the_page_recomputes_what_the_library_computes(double x, double y)
    {
        string? browser = Browser();
        Skip.If(browser is null, "Chromium is not installed (apt-get install chromium), so the page is not run");
        string page = Path.Combine(_dir, "page.html");
        File.WriteAllText(page, Backprop.Viz.Html(Circuit(3, -4).Output));
        string query = FormattableString.Invariant($"?x={x}&y={y}");
        string dom = DumpDom(browser!, new Uri(page).AbsoluteUri + query);

        var (output, inputs) = Circuit(x, y);
        AssertClose(output.Data, DataValue(dom, "value-f"));
        AssertClose(inputs["x"].Grad, DataValue(dom, "grad-x"));
        AssertClose(inputs["y"].Grad, DataValue(dom, "grad-y"));
        var sentences = Regex.Matches(dom, "<li>(.*?)</li>")
            .Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value));
        Assert.Equal(Explain.Describe(output).TrimEnd('\n').Split('\n'), sentences);
        // the diagram's labels moved too: the output's value, and every gradient as the SVG drawn at the new inputs
        // has it, each forked wire's branches with their sum
        Assert.Contains($">{Format.Number(output.Data, 4)}</text>", dom);
        const string Label =
            "<text class=\"(grad|branch|forksum)\" data-wire=\"([^\"]+)\"(?: data-branch=\"(\\d+)\")?[^>]*>([^<]*)<";
        static IEnumerable<string> Labels(string html) => Regex.Matches(html, Label).Select(m =>
            $"{m.Groups[1]} {m.Groups[2]} {m.Groups[3]}: {System.Net.WebUtility.HtmlDecode(m.Groups[4].Value)}");
        var drawn = Labels(Backprop.Viz.Svg(output)).ToList();
        Assert.Contains(drawn, l => l.StartsWith("branch x 3: ", StringComparison.Ordinal));
        Assert.Equal(drawn, Labels(dom));
    }

    private static void AssertClose(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-12 * Math.Max(1, Math.Abs(expected)),
            $"expected {expected}, the page has {actual}");

    private static double DataValue(string dom, string id)
    {
        var match = Regex.Match(dom, $"id=\"{id}\" data-value=\"([^\"]+)\"");
        Assert.True(match.Success, $"the page has no number with id {id}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    internal static string? Browser() =>
        new[] { "chromium", "chromium-browser", "google-chrome" }
            .Select(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
                .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists))
            .FirstOrDefault(path => path is not null);

    internal static string DumpDom(string browser, string url)
    {
        var start = new ProcessStartInfo(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string dom = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(90)), "the browser did not finish within 90 s");
        Assert.True(process.ExitCode == 0, $"the browser failed ({process.ExitCode}): {stderr.Result}");
        return dom;
    }
}
