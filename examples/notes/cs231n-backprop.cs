#:project ../../src/Backprop/Backprop.csproj
// The CS231n notes on backpropagation, walked with Backprop as a C# file-based app:
//     dotnet run examples/notes/cs231n-backprop.cs [folder]
// Outside this repository, replace the line above with `#:package Backprop@<version>`. Each circuit is also written
// to the folder (default: cs231n-pages) as a page to play with: open it in a browser, move an input, and watch the
// values and gradients change.
using Backprop;

string folder = args.Length > 0 ? args[0] : "cs231n-pages";
Directory.CreateDirectory(folder);

void Page(string name, Value f, string title)
{
    string path = Path.Combine(folder, name + ".html");
    File.WriteAllText(path, Viz.Html(f, new VizOptions { Title = title }));
    Console.WriteLine($"  page: {path}");
}

Console.WriteLine("1. A gate and its local gradient: f(x, y) = xy, so df/dx = y and df/dy = x");
{
    var x = new Value(4, "x");
    var y = new Value(-3, "y");
    var f = x * y;
    f.Backward();
    Console.WriteLine($"  f = {f.Data}, df/dx = {x.Grad}, df/dy = {y.Grad}");
    Page("multiply", f, "f = x * y");
}

Console.WriteLine("2. The chain rule: f = (x + y)z; each gate multiplies its local gradient by the one from above");
{
    var x = new Value(-2, "x");
    var y = new Value(5, "y");
    var z = new Value(-4, "z");
    var q = x + y;
    q.Label = "q";
    var f = q * z;
    f.Backward();
    Console.WriteLine($"  q = {q.Data}, f = {f.Data}; dq = {q.Grad}, dx = {x.Grad}, dy = {y.Grad}, dz = {z.Grad}");
    Page("chain-rule", f, "f = (x + y) * z");
}

Console.WriteLine("3. The sigmoid neuron, gate by gate: f = 1 / (1 + exp(-(w0·x0 + w1·x1 + w2)))");
{
    var (w0, x0, w1, x1, w2) = (new Value(2, "w0"), new Value(-1, "x0"), new Value(-3, "w1"), new Value(-2, "x1"),
        new Value(-3, "w2"));
    var dot = w0 * x0 + w1 * x1 + w2;
    dot.Label = "dot";
    var f = 1 / (1 + (-dot).Exp());
    f.Backward();
    Console.WriteLine($"  f = {f.Data:F4}; dx = [{x0.Grad:F4}, {x1.Grad:F4}], dw = [{w0.Grad:F4}, {w1.Grad:F4}, " +
                      $"{w2.Grad:F4}]");
    Page("neuron", f, "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))");

    // one sigmoid gate, local gradient (1 - σ)σ: the same gradients
    var fused = dot.Sigmoid();
    foreach (var wire in new[] { w0, x0, w1, x1, w2 }) wire.Grad = 0;
    fused.Backward();
    Console.WriteLine($"  one fused sigmoid gate: dx = [{x0.Grad:F4}, {x1.Grad:F4}], dw = [{w0.Grad:F4}, " +
                      $"{w1.Grad:F4}, {w2.Grad:F4}]");
}

Console.WriteLine("4. Staged computation: f = (x + σ(y)) / (σ(x) + (x + y)²) at x = 3, y = -4");
{
    var x = new Value(3, "x");
    var y = new Value(-4, "y");
    var f = (x + y.Sigmoid()) / (x.Sigmoid() + (x + y).Pow(2));
    f.Backward();
    Console.WriteLine($"  f = {f.Data:F6}, df/dx = {x.Grad:F6}, df/dy = {y.Grad:F6}");
    Console.WriteLine(Explain.Describe(f));
    Page("staged", f, "f = (x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)");
}

Console.WriteLine("5. Gradients for vectorized operations: D = W·X gives dW = dD·Xᵀ and dX = Wᵀ·dD");
{
    var generator = new Generator(0);
    var w = Tensor.Randn([5, 10], DType.Float64, generator, requiresGrad: true);
    var x = Tensor.Randn([10, 3], DType.Float64, generator, requiresGrad: true);
    var dD = Tensor.Randn([5, 3], DType.Float64, generator);
    Tensor d;
    using (Viz.Trace())
    {
        d = w.MatMul(x);
        d.Backward(dD);
    }
    double dWError = (w.Grad! - dD.MatMul(x.T)).Abs().Max().Item();
    double dXError = (x.Grad! - w.T.MatMul(dD)).Abs().Max().Item();
    Console.WriteLine($"  dW = dD·Xᵀ: {dWError < 1e-12}, dX = Wᵀ·dD: {dXError < 1e-12}");
    string path = Path.Combine(folder, "matmul-gate.svg");
    File.WriteAllText(path, Viz.Svg(d, names: new Dictionary<string, Tensor> { ["W"] = w, ["X"] = x, ["D"] = d }));
    Console.WriteLine($"  diagram: {path}");
}
