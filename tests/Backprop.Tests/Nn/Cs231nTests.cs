namespace Backprop.Tests.Nn;

/// <summary>
/// The checks of CS231n assignment 2's notebooks (affine layer, naive convolution and max pooling, the two-layer
/// net), with their published numbers, each recomputed with NumPy/PyTorch before being asserted here.
/// </summary>
public class Cs231nTests
{
    internal static Tensor Linspace(double start, double end, params int[] shape) =>
        Tensor.Linspace(start, end, shape.Aggregate(1, (a, b) => a * b), DType.Float64).Reshape(shape);

    // the course's relative error: max |x − y| / max(1e-8, |x| + |y|)
    internal static double RelError(Tensor actual, double[] expected)
    {
        var a = actual.ToArray<double>();
        Assert.Equal(expected.Length, a.Length);
        return a.Zip(expected, (x, y) => Math.Abs(x - y) / Math.Max(1e-8, Math.Abs(x) + Math.Abs(y))).Max();
    }

    [Fact]
    public void Affine_forward_matches_the_notebook()
    {
        var x = Linspace(-0.1, 0.5, 2, 4, 5, 6);
        var w = Linspace(-0.2, 0.3, 120, 3);
        var b = Linspace(-0.3, 0.1, 3);
        var output = F.Linear(x.Reshape(2, -1), w.T, b);    // the course's w is [in, out]; Linear takes [out, in]
        double[] correct = [1.49834967, 1.70660132, 1.91485297, 3.25553199, 3.5141327, 3.77273342];
        Assert.True(RelError(output, correct) < 1e-9, $"rel error {RelError(output, correct):E2}");
    }

    [Fact]
    public void Conv_forward_matches_the_notebook()
    {
        var x = Linspace(-0.1, 0.5, 2, 3, 4, 4);
        var w = Linspace(-0.2, 0.3, 3, 3, 4, 4);
        var b = Linspace(-0.1, 0.2, 3);
        var output = F.Conv2d(x, w, b, stride: 2, padding: 1);
        Assert.Equal([2, 3, 2, 2], output.Shape);
        double[] correct =
        [
            -0.08759809, -0.10987781, -0.18387192, -0.2109216, 0.21027089, 0.21661097, 0.22847626, 0.23004637,
            0.50813986, 0.54309974, 0.64082444, 0.67101435, -0.98053589, -1.03143541, -1.19128892, -1.24695841,
            0.69108355, 0.66880383, 0.59480972, 0.56776003, 2.36270298, 2.36904306, 2.38090835, 2.38247847,
        ];
        // the numbers are printed to 8 decimals; the notebook expects an error around 1e-8
        Assert.True(RelError(output, correct) < 1e-7, $"rel error {RelError(output, correct):E2}");
    }

    [Fact]
    public void Max_pool_forward_matches_the_notebook()
    {
        var x = Linspace(-0.3, 0.4, 2, 3, 4, 4);
        var output = F.MaxPool2d(x, 2, stride: 2);
        double[] correct =
        [
            -0.26315789, -0.24842105, -0.20421053, -0.18947368, -0.14526316, -0.13052632, -0.08631579, -0.07157895,
            -0.02736842, -0.01263158, 0.03157895, 0.04631579, 0.09052632, 0.10526316, 0.14947368, 0.16421053,
            0.20842105, 0.22315789, 0.26736842, 0.28210526, 0.32631579, 0.34105263, 0.38526316, 0.4,
        ];
        Assert.True(RelError(output, correct) < 1e-7, $"rel error {RelError(output, correct):E2}");
    }

    private static (Tensor X, Tensor Y, Tensor[] Parameters) TwoLayerNet()
    {
        const int n = 3, d = 5, h = 50, c = 7;
        var x = Linspace(-5.5, 4.5, d, n).T;
        var y = Tensor.FromArray(new long[] { 0, 5, 1 });
        Tensor[] parameters =
        [
            Linspace(-0.7, 0.3, d, h).RequiresGrad_(), Linspace(-0.1, 0.9, h).RequiresGrad_(),
            Linspace(-0.3, 0.4, h, c).RequiresGrad_(), Linspace(-0.9, 0.1, c).RequiresGrad_(),
        ];
        return (x, y, parameters);
    }

    private static Tensor Scores(Tensor x, Tensor[] p) => F.Linear(F.Relu(F.Linear(x, p[0].T, p[1])), p[2].T, p[3]);

    private static Tensor Loss(Tensor x, Tensor y, Tensor[] p, double reg) =>
        F.CrossEntropy(Scores(x, p), y) + reg * 0.5 * ((p[0] * p[0]).Sum() + (p[2] * p[2]).Sum());

    [Fact]
    public void Two_layer_net_scores_and_losses_match_the_notebook()
    {
        var (x, y, p) = TwoLayerNet();
        double[] correctScores =
        [
            11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096,
            12.05769098, 12.74614105, 13.43459113, 14.1230412, 14.81149128, 15.49994135, 16.18839143,
            12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.2846319,
        ];
        var scores = Scores(x, p).ToArray<double>();
        Assert.True(scores.Zip(correctScores, (a, b) => Math.Abs(a - b)).Sum() < 1e-6);
        Assert.True(Math.Abs(Loss(x, y, p, 0.0).Item() - 3.4702243556) < 1e-10);
        Assert.True(Math.Abs(Loss(x, y, p, 1.0).Item() - 26.5948426952) < 1e-10);
    }

    [Fact]
    public void Two_layer_net_gradients_pass_the_numeric_check()
    {
        var (x, y, p) = TwoLayerNet();
        var result = GradCheck.Check(q => Loss(x, y, q, 0.7), p);
        Assert.True(result.Passed, result.ToString());
    }
}
