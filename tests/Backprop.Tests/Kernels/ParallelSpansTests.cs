using System.Numerics.Tensors;
using Backprop.Kernels.Cpu;

namespace Backprop.Tests.Kernels;

/// <summary>The split passes give every element the bits of the one-thread pass, at the chunk edges too.</summary>
public class ParallelSpansTests
{
    [Theory]
    [InlineData(1000)]                                 // below the split
    [InlineData(2 * ParallelSpans.MinLength + 7)]      // two uneven chunks
    [InlineData(5 * ParallelSpans.MinLength)]
    public void Multiply_add_and_clear_match_the_one_thread_pass(int length)
    {
        var random = new Random(length);
        var x = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var start = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
        var expected = (float[])start.Clone();
        TensorPrimitives.MultiplyAdd(x, -0.37f, expected, expected);

        int saved = Threads.Count;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Threads.Count = threads;
                var y = (float[])start.Clone();
                ParallelSpans.MultiplyAdd<float>(x, -0.37f, y);
                Assert.Equal(expected, y);
                ParallelSpans.Clear<float>(y);
                Assert.All(y, v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v)));
            }
        }
        finally { Threads.Count = saved; }
    }

    [Fact]
    public void Long_elementwise_ops_give_the_same_bits_on_one_and_two_threads()
    {
        int length = 3 * ParallelSpans.MinLength + 5;
        var g = new Generator(8);
        var x = Tensor.Randn([length], generator: g);
        var y = Tensor.Randn([length], generator: g);
        Tensor[] Run() => [x.Relu(), x.Exp(), x * y, x - y, x.Gt(y)];
        int saved = Threads.Count;
        try
        {
            Threads.Count = 1;
            var one = Run().Select(t => t.ToArray<float>()).ToArray();
            Threads.Count = 2;
            var two = Run().Select(t => t.ToArray<float>()).ToArray();
            for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], two[i]);
        }
        finally { Threads.Count = saved; }
    }
}
