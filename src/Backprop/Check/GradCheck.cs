using Backprop.Kernels.Cpu;

namespace Backprop;

/// <summary>How one input fared in a gradient check.</summary>
/// <param name="Input">Position of the input in the list passed to the check.</param>
/// <param name="MaxRelativeError">The worst |a−n| / max(|a|, |n|) over the input's elements (0 where both are
/// 0).</param>
/// <param name="WorstIndex">The element where that worst error occurs.</param>
/// <param name="Analytic">The backpropagated gradient there.</param>
/// <param name="Numeric">The centered-difference gradient there.</param>
/// <param name="Passed">Whether every element satisfies |a−n| ≤ atol + rtol·|n|.</param>
public sealed record GradCheckInput(int Input, double MaxRelativeError, int[] WorstIndex, double Analytic,
    double Numeric, bool Passed)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"input {Input}: max relative error {MaxRelativeError:E2} at {Shapes.Format(WorstIndex)} " +
        $"(analytic {Analytic:G6}, numeric {Numeric:G6}) {(Passed ? "passed" : "FAILED")}";
}

/// <summary>The outcome of a gradient check: one entry per input that requires grad.</summary>
public sealed record GradCheckResult(bool Passed, IReadOnlyList<GradCheckInput> Inputs)
{
    /// <inheritdoc/>
    public override string ToString() => string.Join(Environment.NewLine, Inputs);
}

/// <summary>
/// Compares backpropagated gradients with centered differences (f(x+h) − f(x−h)) / 2h in Float64. A non-scalar
/// output is checked through a fixed random projection Σ v·f(x), which tests the whole vector-Jacobian product.
/// </summary>
public static class GradCheck
{
    /// <summary>Checks the first derivatives of <paramref name="func"/> at <paramref name="inputs"/> (Float64, on the
    /// CPU).</summary>
    public static GradCheckResult Check(Func<Tensor[], Tensor> func, Tensor[] inputs, double eps = 1e-6,
        double atol = 1e-5, double rtol = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(func);
        var leaves = Leaves(inputs);
        var checkedInputs = new List<int>();
        for (int i = 0; i < leaves.Length; i++) if (leaves[i].RequiresGrad) checkedInputs.Add(i);
        var targets = checkedInputs.ConvertAll(i => leaves[i]).ToArray();

        var projection = Projection(func(leaves));
        var loss = (func(leaves) * projection).Sum();
        var analytic = loss.RequiresGrad
            ? Autograd.Grad([loss], targets, allowUnused: true)
            : new Tensor?[targets.Length];

        var reports = new List<GradCheckInput>();
        for (int t = 0; t < targets.Length; t++)
        {
            var data = CpuBackend.Data<double>(targets[t]);
            var a = analytic[t]?.ToArray<double>() ?? new double[data.Length];
            double worst = 0, worstA = 0, worstN = 0;
            int worstAt = 0;
            bool passed = true;
            for (int i = 0; i < data.Length; i++)
            {
                double original = data[i];
                data[i] = original + eps;
                double plus = Evaluate(func, leaves, projection);
                data[i] = original - eps;
                double minus = Evaluate(func, leaves, projection);
                data[i] = original;
                double n = (plus - minus) / (2 * eps);
                double diff = Math.Abs(a[i] - n), scale = Math.Max(Math.Abs(a[i]), Math.Abs(n));
                double rel = scale == 0 ? 0 : diff / scale;
                if (!(diff <= atol + rtol * Math.Abs(n))) passed = false;
                if (rel > worst || double.IsNaN(rel)) { worst = rel; worstAt = i; worstA = a[i]; worstN = n; }
            }
            reports.Add(new GradCheckInput(checkedInputs[t], worst, Unravel(worstAt, targets[t].shape), worstA, worstN,
                passed));
        }
        return new GradCheckResult(reports.TrueForAll(r => r.Passed), reports);
    }

    /// <summary>
    /// Checks second derivatives: the gradient of <paramref name="func"/> (built with createGraph) is itself
    /// gradient-checked, through fixed random projections of the output and of each gradient.
    /// </summary>
    public static GradCheckResult GradGradCheck(Func<Tensor[], Tensor> func, Tensor[] inputs, double eps = 1e-6,
        double atol = 1e-5, double rtol = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(func);
        Tensor? outputProjection = null;
        Tensor[]? gradProjections = null;
        Tensor FirstDerivatives(Tensor[] xs)
        {
            var y = func(xs);
            outputProjection ??= Projection(y, seed: 1);
            var targets = Array.FindAll(xs, x => x.RequiresGrad);
            gradProjections ??= Array.ConvertAll(targets, x => Projection(x, seed: 2));
            var loss = (y * outputProjection).Sum();
            var total = Tensor.Zeros([], DType.Float64);
            if (!loss.RequiresGrad) return total;
            var grads = Autograd.Grad([loss], targets, createGraph: true, allowUnused: true);
            for (int i = 0; i < grads.Length; i++)
                if (grads[i] is { } g) total = total + (g * gradProjections[i]).Sum();
            return total;
        }
        return Check(FirstDerivatives, inputs, eps, atol, rtol);
    }

    private static Tensor[] Leaves(Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var leaves = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i];
            if (x.RequiresGrad && x.DType != DType.Float64)
                throw new ArgumentException($"GradCheck: input {i} is {x.DType}; gradient checking needs Float64 " +
                    "inputs (use To(DType.Float64))");
            if (x.Device != Device.Cpu) throw new ArgumentException($"GradCheck: input {i} is on {x.Device}; " +
                "gradient checking runs on the CPU");
            using (Autograd.NoGrad()) leaves[i] = x.Detach().Clone();  // fresh storage that the check may perturb
            leaves[i].RequiresGrad = x.RequiresGrad;
        }
        return leaves;
    }

    private static Tensor Projection(Tensor like, long seed = 0) =>
        Tensor.Randn(like.shape, DType.Float64, new Generator(seed + 12345));

    private static double Evaluate(Func<Tensor[], Tensor> func, Tensor[] leaves, Tensor projection) =>
        (func(leaves).Detach() * projection).Sum().Item<double>();

    private static int[] Unravel(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { index[d] = flat % shape[d]; flat /= shape[d]; }
        return index;
    }
}
