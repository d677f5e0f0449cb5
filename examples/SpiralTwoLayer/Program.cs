// The course's two-layer neural network on the spiral: 100 hidden ReLU units, softmax cross-entropy loss plus
// 0.5·reg·ΣW² on both weight matrices, full-batch gradient descent with step size 1. It separates the arms.
using Backprop;
using Backprop.Data;
using Backprop.Nn;
using Backprop.Optim;

var spiral = Datasets.Spiral(pointsPerClass: 100, classes: 3);
var (x, y) = spiral.ToTensors();

var generator = new Generator(0);
var net = new Sequential(new Linear(2, 100, generator: generator), new ReLU(), new Linear(100, 3, generator: generator));
var weights = net.Parameters().Where(p => p.NDim == 2).ToList();
const double reg = 1e-3;
var optimizer = new SGD(net.Parameters(), lr: 1);

for (int step = 0; step < 2000; step++)
{
    var scores = net.Forward(x);
    var loss = F.CrossEntropy(scores, y) + 0.5 * reg * weights.Select(W => (W * W).Sum()).Aggregate((s, t) => s + t);
    if (step % 200 == 0) Console.WriteLine($"iteration {step}: loss {loss.Item():F6}");
    optimizer.ZeroGrad();
    loss.Backward();
    optimizer.Step();
}

net.Eval();
using (Autograd.NoGrad())
{
    var predicted = net.Forward(x).ArgMax(1).ToArray<long>();
    double accuracy = predicted.Zip(spiral.Labels).Count(p => p.First == p.Second) / (double)spiral.Count;
    Console.WriteLine($"training accuracy: {accuracy:F2}");
}
