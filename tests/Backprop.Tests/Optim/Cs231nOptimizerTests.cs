using Backprop.Optim;

namespace Backprop.Tests.Optim;

/// <summary>
/// The optimizer checks of CS231n assignment 2 (optim.py), N, D = 4, 5, in float64: set the optimizer's state
/// as the notebook's config, take one step, compare with the notebook's printed values (verified with numpy).
/// </summary>
public class Cs231nOptimizerTests
{
    private const int N = 4, D = 5;

    private static Tensor Linspace(double start, double end) => Tensor.Linspace(start, end, N * D, DType.Float64).Reshape(N, D);

    // The notebook's relative error: max |x − y| / max(1e-8, |x| + |y|).
    private static double RelError(double[] expected, Tensor actual)
    {
        var values = actual.ToArray<double>();
        Assert.Equal(expected.Length, values.Length);
        double worst = 0;
        for (int i = 0; i < values.Length; i++)
            worst = Math.Max(worst, Math.Abs(expected[i] - values[i]) / Math.Max(1e-8, Math.Abs(expected[i]) + Math.Abs(values[i])));
        return worst;
    }

    private static Tensor Weights(out Tensor w)
    {
        w = Linspace(-0.4, 0.6).Contiguous().Detach().RequiresGrad_();
        w.Grad = Linspace(-0.6, 0.4).Contiguous();
        return w;
    }

    [Fact]
    public void SgdMomentumMatchesTheNotebook()
    {
        Weights(out var w);
        const double lr = 1e-3;
        var sgd = new SGD([w], lr, momentum: 0.9);
        var state = sgd.State(w);
        // CS231n's velocity v is PyTorch's buffer scaled by −lr: v' = 0.9v − lr·dw is b' = 0.9b + dw with b = −v/lr.
        state.Buffers["momentum_buffer"].Copy_(Linspace(0.6, 0.9) * (-1 / lr));
        state.Step = 1;
        sgd.Step();

        double[] expectedW = [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789, 0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526,
            0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263, 1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096];
        double[] expectedVelocity = [0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158, 0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105,
            0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053, 0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096];
        Assert.True(RelError(expectedW, w) < 1e-7);
        Assert.True(RelError(expectedVelocity, state.Buffers["momentum_buffer"] * -lr) < 1e-7);
        Assert.Equal(2, state.Step);
    }

    [Fact]
    public void RmspropMatchesTheNotebook()
    {
        Weights(out var w);
        var rms = new RMSprop([w], lr: 1e-2, alpha: 0.99, eps: 1e-8);
        rms.State(w).Buffers["square_avg"].Copy_(Linspace(0.6, 0.9));
        rms.Step();

        double[] expectedW = [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247, -0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774,
            0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447, 0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619];
        double[] expectedCache = [0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321, 0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377,
            0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936, 0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926];
        Assert.True(RelError(expectedW, w) < 1e-7);
        Assert.True(RelError(expectedCache, rms.State(w).Buffers["square_avg"]) < 1e-7);
    }

    [Fact]
    public void AdamMatchesTheNotebook()
    {
        Weights(out var w);
        var adam = new Adam([w], lr: 1e-2, betas: (0.9, 0.999), eps: 1e-8);
        var state = adam.State(w);
        state.Buffers["exp_avg"].Copy_(Linspace(0.6, 0.9));
        state.Buffers["exp_avg_sq"].Copy_(Linspace(0.7, 0.5));
        state.Step = 5;
        adam.Step();

        double[] expectedW = [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977, -0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929,
            0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969, 0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459];
        double[] expectedV = [0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853, 0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385,
            0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767, 0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966];
        double[] expectedM = [0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474, 0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316,
            0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158, 0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85];
        // 0.01971428 is printed to 8 decimals: its rounding alone is a relative error of 1.14e-7, as the notebook reports.
        Assert.True(RelError(expectedW, w) < 1.2e-7);
        Assert.True(RelError(expectedV, state.Buffers["exp_avg_sq"]) < 1e-7);
        Assert.True(RelError(expectedM, state.Buffers["exp_avg"]) < 1e-7);
        Assert.Equal(6, state.Step);
    }
}
