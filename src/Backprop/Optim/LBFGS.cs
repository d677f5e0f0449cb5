namespace Backprop.Optim;

/// <summary>
/// L-BFGS (torch.optim.LBFGS without a line search): each <see cref="Step"/> runs up to <c>maxIter</c> iterations,
/// calling the closure (which zeroes the gradients, computes the loss and runs backward) for the loss and
/// gradient at each point; the direction comes from the last <c>historySize</c> pairs of steps and gradient
/// changes by the two-loop recursion, and the step is lr (the first ever one capped at lr / Σ|g|). Works on the
/// parameters' values as one flat vector in float64 on the host, and keeps its history across steps.
/// </summary>
public sealed class LBFGS
{
    private readonly List<Tensor> _parameters;
    private readonly List<double[]> _oldDirections = [], _oldSteps = [];
    private readonly List<double> _rho = [];
    private double[]? _direction, _previousGrad;
    private double _stepLength, _hessianDiagonal = 1;

    /// <summary>Creates the optimizer; <paramref name="maxEval"/> defaults to 1.25·maxIter, as PyTorch.</summary>
    public LBFGS(IEnumerable<Tensor> parameters, double lr = 1, int maxIter = 20, int? maxEval = null,
        double toleranceGrad = 1e-7, double toleranceChange = 1e-9, int historySize = 100)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToList();
        if (_parameters.Count == 0) throw new ArgumentException("LBFGS: got an empty parameter list");
        if (_parameters.Any(p => !p.IsLeaf || !p.RequiresGrad || p.Device.Type != DeviceType.Cpu))
            throw new ArgumentException("LBFGS: can only update CPU leaf tensors that require grad");
        if (maxIter <= 0 || historySize <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxIter), maxIter,
                $"LBFGS: max_iter and history_size must be positive, got {maxIter} and {historySize}");
        if (!double.IsFinite(lr) || lr < 0)
            throw new ArgumentOutOfRangeException(nameof(lr), lr,
                $"LBFGS: the learning rate must be a finite number ≥ 0, got {lr}");
        LearningRate = lr;
        MaxIter = maxIter;
        MaxEval = maxEval ?? maxIter * 5 / 4;
        ToleranceGrad = toleranceGrad;
        ToleranceChange = toleranceChange;
        HistorySize = historySize;
    }

    /// <summary>The step length.</summary>
    public double LearningRate { get; set; }

    /// <summary>Iterations per <see cref="Step"/>.</summary>
    public int MaxIter { get; }

    /// <summary>Closure calls per <see cref="Step"/>.</summary>
    public int MaxEval { get; }

    /// <summary>Stops when every gradient element is at most this in size.</summary>
    public double ToleranceGrad { get; }

    /// <summary>Stops when the step or the loss changes by less than this.</summary>
    public double ToleranceChange { get; }

    /// <summary>How many past pairs shape the direction.</summary>
    public int HistorySize { get; }

    /// <summary>Iterations run over all steps.</summary>
    public int Iterations { get; private set; }

    /// <summary>Closure calls over all steps.</summary>
    public int FunctionEvaluations { get; private set; }

    /// <summary>Clears every parameter's gradient (sets it to null).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.Grad = null;
    }

    /// <summary>Runs the iterations of one step and returns the loss at the starting point.</summary>
    public Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        var originalLoss = closure();
        double loss = originalLoss.Item();
        int evaluations = 1;
        FunctionEvaluations++;
        var grad = FlatGrad();
        if (grad.Max(Math.Abs) <= ToleranceGrad) return originalLoss;
        for (int iteration = 1; ; iteration++)
        {
            Iterations++;
            _direction = Iterations == 1 ? Scaled(grad, -1) : Direction(grad);
            if (Iterations == 1) ClearHistory();
            _previousGrad = (double[])grad.Clone();
            double previousLoss = loss;
            _stepLength = Iterations == 1 ? Math.Min(1, 1 / grad.Sum(Math.Abs)) * LearningRate : LearningRate;
            if (Dot(grad, _direction) > -ToleranceChange) break;
            AddToParameters(_stepLength, _direction);
            bool optimal = false;
            if (iteration != MaxIter)
            {
                using (Autograd.EnableGrad()) loss = closure().Item();
                grad = FlatGrad();
                optimal = grad.Max(Math.Abs) <= ToleranceGrad;
                evaluations++;
                FunctionEvaluations++;
            }
            if (iteration == MaxIter || evaluations >= MaxEval || optimal) break;
            if (_direction.Max(d => Math.Abs(d * _stepLength)) <= ToleranceChange) break;
            if (Math.Abs(loss - previousLoss) < ToleranceChange) break;
        }
        return originalLoss;
    }

    private void ClearHistory()
    {
        _oldDirections.Clear();
        _oldSteps.Clear();
        _rho.Clear();
        _hessianDiagonal = 1;
    }

    // the two-loop recursion over the history, after adding the last step's pair when its curvature is positive
    private double[] Direction(double[] grad)
    {
        var y = grad.Zip(_previousGrad!, (g, p) => g - p).ToArray();
        var s = Scaled(_direction!, _stepLength);
        double ys = Dot(y, s);
        if (ys > 1e-10)
        {
            if (_oldDirections.Count == HistorySize)
            {
                _oldDirections.RemoveAt(0);
                _oldSteps.RemoveAt(0);
                _rho.RemoveAt(0);
            }
            _oldDirections.Add(y);
            _oldSteps.Add(s);
            _rho.Add(1 / ys);
            _hessianDiagonal = ys / Dot(y, y);
        }
        var alpha = new double[_oldDirections.Count];
        var q = Scaled(grad, -1);
        for (int i = _oldDirections.Count - 1; i >= 0; i--)
        {
            alpha[i] = Dot(_oldSteps[i], q) * _rho[i];
            for (int k = 0; k < q.Length; k++) q[k] -= alpha[i] * _oldDirections[i][k];
        }
        var r = Scaled(q, _hessianDiagonal);
        for (int i = 0; i < _oldDirections.Count; i++)
        {
            double beta = Dot(_oldDirections[i], r) * _rho[i];
            for (int k = 0; k < r.Length; k++) r[k] += (alpha[i] - beta) * _oldSteps[i][k];
        }
        return r;
    }

    private double[] FlatGrad() => _parameters.SelectMany(p => p.Grad is { } g
        ? g.To(DType.Float64).Contiguous().ToArray<double>() : new double[p.Numel]).ToArray();

    private void AddToParameters(double step, double[] direction)
    {
        int offset = 0;
        using (Autograd.NoGrad())
            foreach (var p in _parameters)
            {
                var delta = Tensor.FromArray(direction[offset..(offset + p.Numel)], p.Shape).To(p.DType);
                p.Copy_(p + delta * step);
                offset += p.Numel;
            }
    }

    private static double[] Scaled(double[] v, double factor) => v.Select(x => x * factor).ToArray();

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
