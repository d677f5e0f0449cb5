namespace Backprop.Tests.Kernels;

/// <summary>A large permuted copy goes to the threads by rows: every element must land where one thread puts
/// it.</summary>
[Collection("Worker pool")]
public class StridedCopyTests
{
    [Fact]
    public void A_permuted_copy_on_several_threads_equals_the_one_thread_copy()
    {
        var x = Tensor.Randn([4, 70, 33, 17], generator: new Generator(3));
        var one = ThreadCount.With(1, () => x.Permute(2, 0, 3, 1).Contiguous().ToArray<float>());
        var several = ThreadCount.With(4, () => x.Permute(2, 0, 3, 1).Contiguous().ToArray<float>());
        Assert.Equal(one, several);
        var values = x.ToArray<float>();
        // element (c, n, w, h) of the copy [33, 4, 17, 70] is x[n, h, c, w]
        for (int i = 0; i < several.Length; i += 101)
        {
            int h = i % 70, w = i / 70 % 17, n = i / (70 * 17) % 4, c = i / (70 * 17 * 4);
            Assert.Equal(values[((n * 70 + h) * 33 + c) * 17 + w], several[i]);
        }
    }
}
