using Backprop.Kernels.Cpu;

namespace Backprop.Tests.Kernels;

/// <summary>
/// A right operand packed once (a recurrent weight) must give every product the bits of the same product of the
/// plain tensor, on the small paths that read it in place and on the packed path, with and without a bias.
/// </summary>
[Collection("Worker pool")]
public class PreparedOperandTests
{
    // a small product, one slice of k, several slices of k, more columns than one block of n, a transposed weight
    public static TheoryData<int, int, int, bool> Shapes() => new()
    {
        { 3, 5, 7, false }, { 32, 1024, 256, true }, { 32, 256, 1024, false }, { 20, 2100, 400, true },
        { 9, 70, 330, false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Products_of_a_prepared_operand_have_the_bits_of_the_plain_products(int m, int n, int k,
        bool weightLayout)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (int threads in new[] { 1, 2 })
                ThreadCount.With(threads, () =>
                {
                    var gen = new Generator(m + n + k);
                    var a = Tensor.Randn([m, k], dtype, gen);
                    // b [k, n] as a weight [n, k] seen transposed (a linear layer's), or stored as it is
                    var b = weightLayout ? Tensor.Randn([n, k], dtype, gen).MT : Tensor.Randn([k, n], dtype, gen);
                    var bias = Tensor.Randn([n], dtype, gen);
                    var backend = CpuBackend.Instance;
                    using var prepared = backend.PrepareRight(b);
                    foreach (var withBias in new[] { false, true })
                    {
                        var (plain, fast) = (Tensor.Zeros([m, n], dtype), Tensor.Zeros([m, n], dtype));
                        if (withBias) backend.Linear(a, b.MT, bias, plain);
                        else backend.MatMul(a, b, plain);
                        backend.MatMul(a, prepared, withBias ? bias : null, fast);
                        Assert.Equal(plain.ToArray<double>(), fast.ToArray<double>());
                    }
                    return 0;
                });
    }
}
