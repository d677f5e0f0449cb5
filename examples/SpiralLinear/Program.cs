// The course's linear (softmax) classifier on the spiral: scores = X·W + b, softmax cross-entropy loss plus
// 0.5·reg·ΣW², full-batch gradient descent with step size 1. A line cannot separate the arms: about half right.
using Backprop;
using Backprop.Data;
using Backprop.Optim;

var spiral = Datasets.Spiral(pointsPerClass: 100, classes: 3);
var (x, y) = spiral.ToTensors();

var generator = new Generator(0);
var w = (Tensor.Randn([2, 3], generator: generator) * 0.01).Detach().RequiresGrad_();
var b = Tensor.Zeros([3], requiresGrad: true);
const double reg = 1e-3;
var optimizer = new SGD([w, b], lr: 1);

for (int step = 0; step < 200; step++)
{
    var scores = x.MatMul(w) + b;
    var loss = F.CrossEntropy(scores, y) + 0.5 * reg * (w * w).Sum();
    if (step % 10 == 0) Console.WriteLine($"iteration {step}: loss {loss.Item():F6}");
    optimizer.ZeroGrad();
    loss.Backward();
    optimizer.Step();
}

var predicted = (x.MatMul(w) + b).ArgMax(1).ToArray<long>();
double accuracy = predicted.Zip(spiral.Labels).Count(p => p.First == p.Second) / (double)spiral.Count;
Console.WriteLine($"training accuracy: {accuracy:F2}");
