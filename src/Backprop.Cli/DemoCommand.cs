namespace Backprop.Cli;

/// <summary><c>backprop demo</c>: the CS231n backpropagation notes' examples in order, with their numbers.</summary>
public static class DemoCommand
{
    /// <summary>Runs the demo; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout)
    {
        var options = Options.Parse("demo", args, ["--out"], []);
        if (options.Positionals.Count > 0) throw new UsageException($"demo takes no arguments, got '{options.Positionals[0]}'");
        string? outDir = options.Get("--out");
        Files.CheckInput("--out", outDir);
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            Files.CheckOutput("--out", Path.Combine(outDir, "circuit.svg"));  // a writable folder, before any output
        }
        bool color = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null && stdout == Console.Out;

        Section(stdout, 1, "Simple expressions: the multiply, add and max gates");
        var mul = NotesExamples.Multiply();
        stdout.WriteLine("  f(x, y) = x*y  ->  df/dx = y, df/dy = x");
        Wires(stdout, mul);
        Pictures(stdout, mul, outDir, color);
        stdout.WriteLine("  Increasing x by a tiny h changes f by -3h; increasing y by h changes it by +4h.");
        var (ax, ay) = (new Value(4, "x"), new Value(2, "y"));
        var add = ax + ay; add.Backward();
        var (mx, my) = (new Value(4, "x"), new Value(2, "y"));
        var max = Value.Max(mx, my); max.Backward();
        stdout.WriteLine($"  add gate at x = 4, y = 2: df/dx = {N(ax.Grad)}, df/dy = {N(ay.Grad)} (always 1)");
        stdout.WriteLine($"  max gate at x = 4, y = 2: df/dx = {N(mx.Grad)}, df/dy = {N(my.Grad)} (1 on the larger input)");

        Section(stdout, 2, "Compound expressions with the chain rule");
        var addMul = NotesExamples.AddThenMultiply();
        Wires(stdout, addMul);
        Pictures(stdout, addMul, outDir, color);
        stdout.WriteLine("  The add gate learns its output's gradient is -4 and passes it, times its local 1, to x and y.");

        Section(stdout, 3, "Modularity: the sigmoid neuron, gate by gate");
        var neuron = NotesExamples.NeuronGateByGate();
        Wires(stdout, neuron);
        Pictures(stdout, neuron, outDir, color);
        Section(stdout, 3, "The same neuron with one fused sigmoid gate, local gradient (1 - s)s");
        var fused = NotesExamples.NeuronFused();
        Wires(stdout, fused);
        Pictures(stdout, fused, outDir, color);
        var sig = fused.Output;
        stdout.WriteLine($"  ddot = (1 - f) * f = (1 - {N(sig.Data)}) * {N(sig.Data)} = {N((1 - sig.Data) * sig.Data)}");
        stdout.WriteLine($"  dx = [{Grads(fused, "x0", "x1")}]   dw = [{Grads(fused, "w0", "w1", "w2")}]");
        bool same = neuron.Inputs.Zip(fused.Inputs).All(p => Math.Abs(p.First.Grad - p.Second.Grad) < 1e-12);
        stdout.WriteLine($"  Gate by gate and fused give the same gradients: {(same ? "yes" : "NO")}.");

        Section(stdout, 4, "Backprop in practice: staged computation");
        var staged = NotesExamples.Staged();
        Wires(stdout, staged);
        Pictures(stdout, staged, outDir, color);
        stdout.WriteLine("  x and y each feed several gates, so their gradients add up at the forks (+=).");

        Section(stdout, 5, "Patterns in backward flow");
        var patterns = NotesExamples.Patterns();
        Wires(stdout, patterns);
        Pictures(stdout, patterns, outDir, color);
        var w = patterns.Wires.ToDictionary(v => v.Label!);
        stdout.WriteLine($"  add: distributed its gradient {N(w["s"].Grad)} unchanged to both inputs (xy and m).");
        stdout.WriteLine($"  max: routed its gradient {N(w["m"].Grad)} to z = {N(w["z"].Data)}, the larger input; w gets {N(w["w"].Grad)}.");
        stdout.WriteLine($"  mul: scaled by the other input: dx = y * dxy = {N(w["y"].Data)} * {N(w["xy"].Grad)} = {N(w["x"].Grad)}, " +
                         $"dy = x * dxy = {N(w["x"].Data)} * {N(w["xy"].Grad)} = {N(w["y"].Grad)}.");

        TensorDemo.Run(stdout, outDir, color);
        stdout.WriteLine();
        stdout.WriteLine("Try your own: backprop grad \"(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)\" --at x=3,y=-4");
        return 0;
    }

    private static void Section(TextWriter stdout, int number, string title)
    {
        stdout.WriteLine();
        stdout.WriteLine($"{number}. {title}");
    }

    // The circuit as a text diagram and as staged code, and (with --out) as an SVG file named after the example.
    private static void Pictures(TextWriter stdout, Circuit circuit, string? outDir, bool color)
    {
        stdout.WriteLine();
        foreach (var line in Viz.Text(circuit.Output, ansiColors: color).TrimEnd('\n').Split('\n')) stdout.WriteLine("    " + line);
        stdout.WriteLine();
        foreach (var line in StagedCode.Generate(circuit.Output).TrimEnd('\n').Split('\n')) stdout.WriteLine("    " + line);
        if (outDir is null) return;
        string path = Path.Combine(outDir, circuit.Name + ".svg");
        Files.WriteAtomically(path, Viz.Svg(circuit.Output, new VizOptions { Title = circuit.Formula }));
        stdout.WriteLine($"  wrote {path}");
    }

    // One row per wire: its name, the gate that made it from which wires, its value and its gradient.
    private static void Wires(TextWriter stdout, Circuit circuit)
    {
        stdout.WriteLine($"  {circuit.Formula}");
        var rows = circuit.Wires.Select(v => (name: v.Label ?? "?", gate: GateText(v), value: N(v.Data), grad: N(v.Grad))).ToList();
        int wn = Math.Max(4, rows.Max(r => r.name.Length)), wg = Math.Max(4, rows.Max(r => r.gate.Length));
        int wv = Math.Max(5, rows.Max(r => r.value.Length)), wd = Math.Max(8, rows.Max(r => r.grad.Length));
        stdout.WriteLine($"    {"wire".PadRight(wn)}   {"gate".PadRight(wg)}   {"value".PadLeft(wv)}   {"gradient".PadLeft(wd)}");
        foreach (var (name, gate, value, grad) in rows)
            stdout.WriteLine($"    {name.PadRight(wn)}   {gate.PadRight(wg)}   {value.PadLeft(wv)}   {grad.PadLeft(wd)}");
    }

    private static string GateText(Value v)
    {
        if (v.Op is null) return "input";
        var names = v.Inputs.Select(i => i.Label ?? "?").ToArray();
        return v.Op.Notation(names[0], names.Length > 1 ? names[1] : "", v.Constant);
    }

    private static string Grads(Circuit c, params string[] labels) =>
        string.Join(", ", labels.Select(l => N(c.Inputs.First(v => v.Label == l).Grad)));

    private static string N(double x) => Format.Number(x, 6);
}
