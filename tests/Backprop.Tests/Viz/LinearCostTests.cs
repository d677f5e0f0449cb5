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

    // Bytes allocated measure the work without the noise of a loaded machine: the quadratic chain label allocated
    // a string of every prefix of the chain.
    [Fact]
    public void TheWorkGrowsLinearly_NotQuadratically()
    {
        Backprop.Viz.Svg(Chain(1000));  // warm up the JIT
        long Allocated(int n)
        {
            var chain = Chain(n);
            long before = GC.GetAllocatedBytesForCurrentThread();
            Backprop.Viz.Svg(chain);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        long small = Allocated(20_000), large = Allocated(80_000);
        // quadratic work would make 4 times the gates allocate 16 times as much
        Assert.True(large < 5 * small, $"20,000 gates {small:N0} bytes, 80,000 gates {large:N0} bytes");
    }
}
