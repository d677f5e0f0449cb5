using Backprop.Data;
using Backprop.Nn;
using Backprop.Optim;

namespace Backprop.Tests.Nn;

/// <summary>
/// What is thread-safe (docs/robustness.md): independent models on independent threads. Each thread has its own
/// grad mode and array cache, and the kernels' inner threads give the same bits however they are scheduled.
/// </summary>
public class ConcurrencyTests
{
    private static float[] Train(int seed)
    {
        var (x, y) = Datasets.Spiral(seed: seed).ToTensors();
        var g = new Generator(seed);
        var model = new Sequential(new Linear(2, 64, generator: g), new ReLU(), new Linear(64, 3, generator: g));
        var optimizer = new Adam(model.Parameters(), 1e-2);
        for (int step = 0; step < 60; step++)
        {
            optimizer.ZeroGrad();
            F.CrossEntropy(model.Forward(x), y).Backward();
            optimizer.Step();
        }
        return model.StateDict().OrderBy(p => p.Key).SelectMany(p => p.Value.ToArray<float>()).ToArray();
    }

    [Fact]
    public void TwoModelsOnTwoThreads_GiveTheSequentialBits()
    {
        var sequential = new[] { Train(1), Train(2) };
        var parallel = new float[2][];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() => parallel[i] = Train(i + 1))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(sequential[0], parallel[0]);
        Assert.Equal(sequential[1], parallel[1]);
        Assert.NotEqual(sequential[0], sequential[1]);
    }
}
