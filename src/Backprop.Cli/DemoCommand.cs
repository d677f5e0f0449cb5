namespace Backprop.Cli;

/// <summary>
/// <c>backprop demo [N ...] [--list] [--out DIR]</c>: the CS231n backpropagation notes' examples in the notes' order,
/// with their numbers; one or more sections by number, or the list of sections.
/// </summary>
public static class DemoCommand
{
    /// <summary>Every line the demo prints fits in this many columns.</summary>
    public const int Width = 120;

    /// <summary>Diagrams are indented less than the text around them, leaving them most of the width.</summary>
    internal const int DiagramIndent = 2;

    /// <summary>Where the demo writes, and how.</summary>
    internal sealed record Page(TextWriter Out, TextWriter Log, string? OutDir, string? HtmlDir, bool Color);

    private static readonly (string Title, Action<Page> Show)[] Sections =
    [
        ("Simple expressions: the multiply, add and max gates", SimpleExpressions),
        ("Compound expressions with the chain rule", ChainRule),
        ("Modularity: the sigmoid neuron, gate by gate", NeuronGateByGate),
        ("The same neuron with one fused sigmoid gate, local gradient (1 - s)s", NeuronFused),
        ("Backprop in practice: staged computation", Staged),
        ("Patterns in backward flow", Patterns),
        ("Unintuitive effects: the multiply gate scales the gradient by the data", TensorDemo.DataScale),
        ("Gradients for vectorized operations: the matmul gate D = W·X", TensorDemo.MatMulGate),
        ("Dimension analysis: the one product whose shape fits", TensorDemo.DimensionAnalysis),
        ("A two-layer net's loss: Linear → ReLU → Linear → CrossEntropy", TensorDemo.TwoLayerNet),
    ];

    /// <summary>Runs the demo; returns the exit code.</summary>
    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        if (options.Has("--list"))
        {
            for (int i = 0; i < Sections.Length; i++) stdout.WriteLine($"{i + 1,2}. {Sections[i].Title}");
            return 0;
        }
        var chosen = options.Positionals.Count == 0
            ? Enumerable.Range(1, Sections.Length).ToList()
            : options.Positionals.Select(SectionNumber).ToList();
        string? outDir = options.Get("--out"), htmlDir = options.Get("--html");
        (string Option, string? Dir, string Probe)[] folders =
            [("--out", outDir, "circuit.svg"), ("--html", htmlDir, "circuit.html")];
        foreach (var (option, dir, probe) in folders)
        {
            Files.CheckInput(option, dir);
            if (dir is null) continue;
            Directory.CreateDirectory(dir);
            Files.CheckOutput(option, Path.Combine(dir, probe));  // a writable folder, before any output
        }
        bool color = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null
            && stdout == Console.Out;
        var page = new Page(stdout, stderr, outDir, htmlDir, color);
        foreach (int number in chosen)
        {
            stdout.WriteLine();
            stdout.WriteLine($"{number}. {Sections[number - 1].Title}");
            Sections[number - 1].Show(page);
        }
        stdout.WriteLine();
        stdout.WriteLine("Try your own: backprop grad \"(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)\" --at x=3,y=-4");
        return 0;
    }

    private static int SectionNumber(string text) =>
        int.TryParse(text, out int n) && n >= 1 && n <= Sections.Length
            ? n
            : throw new UsageException(
                $"demo has sections 1 to {Sections.Length}; '{text}' is not one of them (backprop demo --list)");

    private static void SimpleExpressions(Page page)
    {
        var stdout = page.Out;
        var mul = NotesExamples.Multiply();
        stdout.WriteLine("  f(x, y) = x*y  ->  df/dx = y, df/dy = x");
        Wires(stdout, mul);
        Pictures(page, mul);
        stdout.WriteLine("  Increasing x by a tiny h changes f by -3h; increasing y by h changes it by +4h.");
        var (ax, ay) = (new Value(4, "x"), new Value(2, "y"));
        var add = ax + ay; add.Backward();
        var (mx, my) = (new Value(4, "x"), new Value(2, "y"));
        var max = Value.Max(mx, my); max.Backward();
        stdout.WriteLine($"  add gate at x = 4, y = 2: df/dx = {N(ax.Grad)}, df/dy = {N(ay.Grad)} (always 1)");
        stdout.WriteLine($"  max gate at x = 4, y = 2: df/dx = {N(mx.Grad)}, df/dy = {N(my.Grad)} " +
                         "(1 on the larger input)");
    }

    private static void ChainRule(Page page)
    {
        var addMul = NotesExamples.AddThenMultiply();
        Wires(page.Out, addMul);
        Pictures(page, addMul);
        page.Out.WriteLine("  The add gate learns its output's gradient is -4 and passes it, times its local 1, " +
                           "to x and y.");
    }

    private static void NeuronGateByGate(Page page)
    {
        var neuron = NotesExamples.NeuronGateByGate();
        Wires(page.Out, neuron);
        Pictures(page, neuron);
    }

    private static void NeuronFused(Page page)
    {
        var stdout = page.Out;
        var fused = NotesExamples.NeuronFused();
        Wires(stdout, fused);
        Pictures(page, fused);
        var sig = fused.Output;
        double local = (1 - sig.Data) * sig.Data;
        stdout.WriteLine($"  ddot = (1 - f) * f = (1 - {N(sig.Data)}) * {N(sig.Data)} = {N(local)}");
        stdout.WriteLine($"  dx = [{Grads(fused, "x0", "x1")}]   dw = [{Grads(fused, "w0", "w1", "w2")}]");
        var neuron = NotesExamples.NeuronGateByGate();
        bool same = neuron.Inputs.Zip(fused.Inputs).All(p => Math.Abs(p.First.Grad - p.Second.Grad) < 1e-12);
        stdout.WriteLine($"  Gate by gate (section 3) and fused give the same gradients: {(same ? "yes" : "NO")}.");
    }

    private static void Staged(Page page)
    {
        var staged = NotesExamples.Staged();
        Wires(page.Out, staged);
        Pictures(page, staged);
        page.Out.WriteLine("  x and y each feed several gates, so their gradients add up at the forks (+=).");
    }

    private static void Patterns(Page page)
    {
        var stdout = page.Out;
        var patterns = NotesExamples.Patterns();
        Wires(stdout, patterns);
        Pictures(page, patterns);
        var w = patterns.Wires.ToDictionary(v => v.Label!);
        stdout.WriteLine($"  add: distributed its gradient {N(w["s"].Grad)} unchanged to both inputs (xy and m).");
        stdout.WriteLine($"  max: routed its gradient {N(w["m"].Grad)} to z = {N(w["z"].Data)}, the larger input; " +
                         $"w gets {N(w["w"].Grad)}.");
        stdout.WriteLine($"  mul: scaled by the other input: dx = y * dxy = {N(w["y"].Data)} * {N(w["xy"].Grad)} = " +
                         $"{N(w["x"].Grad)}, dy = x * dxy = {N(w["x"].Data)} * {N(w["xy"].Grad)} = {N(w["y"].Grad)}.");
    }

    // The circuit as a text diagram and as staged code, and (with --out) as an SVG file named after the example.
    // The diagram keeps to the page's width: fewer digits on the wires first, then the wire table above in its place.
    private static void Pictures(Page page, Circuit circuit)
    {
        var stdout = page.Out;
        stdout.WriteLine();
        string? diagram = null;
        for (int digits = 4; digits >= 2 && diagram is null; digits--)
        {
            string text = Viz.Text(circuit.Output, new VizOptions { Digits = digits });
            if (Fits(text, DiagramIndent))
                diagram = Viz.Text(circuit.Output, new VizOptions { Digits = digits }, page.Color);
        }
        if (diagram is null)
            stdout.WriteLine($"  (the diagram is wider than {Width} columns; the wires are in the table above" +
                             (page.OutDir is null
                                 ? ", and --out DIR draws it as SVG)"
                                 : $", and {page.OutDir} has it as SVG)"));
        else
            foreach (var line in diagram.TrimEnd('\n').Split('\n'))
                stdout.WriteLine(new string(' ', DiagramIndent) + line);
        stdout.WriteLine();
        foreach (var line in StagedCode.Generate(circuit.Output).TrimEnd('\n').Split('\n'))
            stdout.WriteLine("    " + line);
        foreach (var (dir, extension) in new[] { (page.OutDir, ".svg"), (page.HtmlDir, ".html") })
        {
            if (dir is null) continue;
            string path = Path.Combine(dir, circuit.Name + extension);
            var viz = new VizOptions { Title = circuit.Formula };
            string content = extension == ".svg" ? Viz.Svg(circuit.Output, viz) : Viz.Html(circuit.Output, viz);
            Files.Write(page.Log, path, content);
        }
    }

    /// <summary>True when every line of <paramref name="text"/>, indented, fits in <see cref="Width"/>.</summary>
    internal static bool Fits(string text, int indent) => text.Split('\n').All(l => indent + l.Length <= Width);

    // One row per wire: its name, the gate that made it from which wires, its value and its gradient.
    private static void Wires(TextWriter stdout, Circuit circuit)
    {
        stdout.WriteLine($"  {circuit.Formula}");
        var rows = circuit.Wires
            .Select(v => (name: v.Label ?? "?", gate: GateText(v), value: N(v.Data), grad: N(v.Grad))).ToList();
        int wn = Math.Max(4, rows.Max(r => r.name.Length)), wg = Math.Max(4, rows.Max(r => r.gate.Length));
        int wv = Math.Max(5, rows.Max(r => r.value.Length)), wd = Math.Max(8, rows.Max(r => r.grad.Length));
        foreach (var (name, gate, value, grad) in rows.Prepend(("wire", "gate", "value", "gradient")))
            stdout.WriteLine(
                $"    {name.PadRight(wn)}   {gate.PadRight(wg)}   {value.PadLeft(wv)}   {grad.PadLeft(wd)}");
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
