using System.Diagnostics;

namespace Backprop.Tests.Viz;

/// <summary>Diagrams cost time linear in the circuit: long chains are drawn in well under a second.</summary>
public class LinearCostTests
{
    private static Value Chain(int gates)
    {
        var x = new Value(1, "x");
        var y = x;
        for (int i = 0; i < gates; i++) y += 1;
        y.Backward();
        return y;
    }

    [Theory]
    [InlineData("svg")]
    [InlineData("dot")]
    [InlineData("text")]
    public void ATwentyThousandGateChain_IsDrawnInUnderASecond(string format)
    {
        var chain = Chain(20_000);
        var clock = Stopwatch.StartNew();
        string drawn = format switch
        {
            "svg" => Backprop.Viz.Svg(chain),
            "dot" => Backprop.Viz.Dot(chain),
            _ => Backprop.Viz.Text(chain),
        };
        double seconds = clock.Elapsed.TotalSeconds;
        Assert.Contains("20000", drawn);
        Assert.True(seconds < 1, $"{seconds:0.00} s");
    }

    [Fact]
    public void TheCostGrowsLinearly_NotQuadratically()
    {
        Backprop.Viz.Svg(Chain(1000));  // warm up the JIT
        double Time(int n)
        {
            var chain = Chain(n);
            GC.Collect();
            var clock = Stopwatch.StartNew();
            Backprop.Viz.Svg(chain);
            return clock.Elapsed.TotalSeconds;
        }
        // sizes past the caches, where the cost per gate has settled
        double small = Enumerable.Range(0, 2).Min(_ => Time(40_000));
        double large = Enumerable.Range(0, 2).Min(_ => Time(160_000));
        // quadratic cost would make 4 times the gates take 16 times as long
        Assert.True(large < 10 * small + 0.05, $"40,000 gates {small:0.000} s, 160,000 gates {large:0.000} s");
    }
}
