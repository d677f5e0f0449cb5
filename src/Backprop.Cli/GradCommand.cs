using System.Globalization;
using System.Text.Json;

namespace Backprop.Cli;

/// <summary>
/// <c>backprop grad "&lt;expression&gt;" --at x=3,y=-4 [--json] [--svg FILE] [--dot FILE] [--html FILE] [--code]
/// [--explain] [--digits N]</c>: the value and every variable's gradient; optionally the circuit diagram, a page to
/// play with it, the staged code and how each gate moved the gradient.
/// </summary>
public static class GradCommand
{
    /// <summary>Exit code when the value or a gradient is NaN or infinite.</summary>
    public const int NotFinite = 1;

    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        if (options.Positionals.Count != 1)
            throw new UsageException(options.Positionals.Count == 0
                ? "grad needs an expression, as in: backprop grad \"x*y + 1\" --at x=2,y=3"
                : $"grad takes one expression, got {options.Positionals.Count} (quote the expression)");
        if (options.Has("--json") && (options.Has("--code") || options.Has("--explain")))
            throw new UsageException("--json prints one JSON object, so it cannot be combined with --code or " +
                "--explain");
        int digits = ParseDigits(options.Get("--digits"));
        Files.CheckOutput("--svg", options.Get("--svg"));
        Files.CheckOutput("--dot", options.Get("--dot"));
        Files.CheckOutput("--html", options.Get("--html"));
        var expression = Expression.Parse(options.Positionals[0]);
        var at = ParseBindings(options.All("--at"));
        var used = expression.Variables.ToHashSet();  // a set: 100,000 variables would make a list's lookups quadratic
        foreach (var name in at.Keys.Where(n => !used.Contains(n)))
            stderr.WriteLine(
                $"backprop: warning: variable '{Cli.Clip(name)}' given with --at does not appear in the expression");

        var (output, inputs) = expression.Build(at);
        output.Backward();

        if (options.Has("--json")) WriteJson(stdout, output, inputs);
        else WriteText(stdout, expression, output, inputs);
        var viz = new VizOptions { Digits = digits, Title = $"f = {expression.Text}" };
        if (options.Get("--svg") is { } svg) Files.Write(stderr, svg, Viz.Svg(output, viz));
        if (options.Get("--dot") is { } dot) Files.Write(stderr, dot, Viz.Dot(output, viz));
        if (options.Get("--html") is { } html) Files.Write(stderr, html, Viz.Html(output, viz));
        if (options.Has("--code")) { stdout.WriteLine(); stdout.Write(StagedCode.Generate(output)); }
        if (options.Has("--explain")) { stdout.WriteLine(); stdout.Write(Explain.Describe(output, digits)); }
        return WarnIfNotFinite(stderr, output, inputs) ? NotFinite : 0;
    }

    /// <summary>Parses the <c>--digits</c> value (significant digits on diagram labels), 4 when absent.</summary>
    public static int ParseDigits(string? text)
    {
        if (text is null) return 4;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int digits)
            || digits is < 1 or > 17)
            throw new UsageException($"--digits: '{text}' is not a whole number from 1 to 17");
        return digits;
    }

    /// <summary>Parses <c>x=3,y=-4</c> (and repeated --at options) into variable values.</summary>
    public static Dictionary<string, double> ParseBindings(IEnumerable<string> specs)
    {
        var at = new Dictionary<string, double>();
        foreach (var part in specs.SelectMany(s => s.Split(',', StringSplitOptions.TrimEntries)))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--at: '{Cli.Clip(part)}' is not of the form name=number");
            string name = part[..eq].Trim(), text = part[(eq + 1)..].Trim();
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
                || !double.IsFinite(v))
                throw new UsageException(
                    $"--at: the value of '{Cli.Clip(name)}' is '{Cli.Clip(text)}', which is not a finite number");
            if (!at.TryAdd(name, v))
                throw new UsageException($"--at: '{Cli.Clip(name)}' is given twice " +
                                         $"({Format.RoundTrip(at[name])} and {Format.RoundTrip(v)})");
        }
        return at;
    }

    private static void WriteText(TextWriter stdout, Expression expression, Value output,
        IReadOnlyDictionary<string, Value> inputs)
    {
        stdout.WriteLine($"f = {expression.Text}");
        if (inputs.Count > 0) stdout.WriteLine("at " + string.Join(", ",
            inputs.Select(p => $"{p.Key} = {Format.RoundTrip(p.Value.Data)}")));
        var rows = new List<(string, double)> { ("f", output.Data) };
        rows.AddRange(inputs.Select(p => ($"df/d{p.Key}", p.Value.Grad)));
        int width = rows.Max(r => r.Item1.Length);
        foreach (var (name, v) in rows) stdout.WriteLine($"  {name.PadRight(width)}  {Format.RoundTrip(v)}");
    }

    private static void WriteJson(TextWriter stdout, Value output, IReadOnlyDictionary<string, Value> inputs)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            WriteNumber(json, "value", output.Data);
            json.WriteStartObject("gradients");
            foreach (var (name, wire) in inputs) WriteNumber(json, name, wire.Grad);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>Writes a number in round-trip precision, or a non-finite one as "NaN", "Infinity" or
    /// "-Infinity".</summary>
    public static void WriteNumber(Utf8JsonWriter json, string name, double v)
    {
        if (double.IsFinite(v)) json.WriteNumber(name, v);
        else json.WriteString(name, double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
    }

    // Names the first gate whose output is not finite although its inputs are: where the trouble started. A wire
    // with no gate is a number the parser folded (as 1/0) or wrote (as 1e400): then the number is named.
    private static bool WarnIfNotFinite(TextWriter stderr, Value output, IReadOnlyDictionary<string, Value> inputs)
    {
        bool bad = false;
        if (!double.IsFinite(output.Data))
        {
            bad = true;
            var origin = output.Topological().First(v => !double.IsFinite(v.Data));
            string from = string.Join(", ", origin.Inputs.Select(i => Format.RoundTrip(i.Data)));
            stderr.WriteLine($"backprop: warning: the value is {Format.RoundTrip(output.Data)}: " + (origin.Op is null
                ? $"a constant part of the expression is {Format.RoundTrip(origin.Data)}"
                : $"gate '{origin.Op.Name}' gave {Format.RoundTrip(origin.Data)} from input {from}"));
        }
        foreach (var (name, wire) in inputs.Where(p => !double.IsFinite(p.Value.Grad)))
        {
            bad = true;
            stderr.WriteLine($"backprop: warning: the gradient on '{name}' is {Format.RoundTrip(wire.Grad)}");
        }
        return bad;
    }
}
