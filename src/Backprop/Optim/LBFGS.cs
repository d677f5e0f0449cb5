using System.Diagnostics;

namespace Backprop.Optim;

/// <summary>
/// L-BFGS (torch.optim.LBFGS): each <see cref="Step(Func{Tensor})"/> runs up to <c>max_iter</c> iterations, calling
/// the closure (which zeroes the gradients, computes the loss and runs backward) for the loss and gradient at each
/// point; the direction comes from the last <c>history_size</c> pairs of steps and gradient changes by the two-loop
/// recursion. Without a line search the step is lr (the first ever one capped at lr / Σ|g|); with
/// <c>"strong_wolfe"</c> that is the first trial of a search for a step meeting the strong Wolfe conditions. Works
/// on the parameters' values as one flat vector in float64 on the host, and keeps its history across steps (saved
/// by <see cref="StateDict"/>). One parameter group, whose <c>lr</c> schedulers may set; group settings: <c>lr</c>,
/// <c>max_iter</c>, <c>max_eval</c>, <c>tolerance_grad</c>, <c>tolerance_change</c>, <c>history_size</c>, and in the
/// state dict <c>line_search_strong_wolfe</c> (1 with the search, else 0), which a load must match: the search is
/// chosen when the optimizer is made.
/// </summary>
public sealed class LBFGS : Optimizer
{
    // PyTorch's strong-Wolfe constants: sufficient decrease c1, curvature c2, trials per search, and the bracket
    // width (times max|d|) below which zooming stops, which PyTorch keeps at 1e-9 whatever tolerance_change is
    private const double SufficientDecrease = 1e-4, Curvature = 0.9, BracketTolerance = 1e-9;
    private const int MaxLineSearchTrials = 25;
    private const string StrongWolfe = "strong_wolfe";
    private const string LineSearchKey = "param_groups.0.line_search_strong_wolfe";

    private readonly List<double[]> _oldDirections = [], _oldSteps = [];
    private readonly List<double> _rho = [];
    private double[]? _direction, _previousGrad;
    private double _stepLength, _hessianDiagonal = 1;

    /// <summary>
    /// Creates the optimizer; <paramref name="maxEval"/> defaults to 1.25·maxIter, as PyTorch, and
    /// <paramref name="lineSearchFn"/> is null (a fixed step) or <c>"strong_wolfe"</c>.
    /// </summary>
    public LBFGS(IEnumerable<Tensor> parameters, double lr = 1, int maxIter = 20, int? maxEval = null,
        double toleranceGrad = 1e-7, double toleranceChange = 1e-9, int historySize = 100,
        string? lineSearchFn = null)
        : base([new ParameterGroup(parameters)], new Dictionary<string, double>
        {
            ["lr"] = lr, ["max_iter"] = maxIter, ["max_eval"] = maxEval ?? maxIter * 5 / 4,
            ["tolerance_grad"] = toleranceGrad, ["tolerance_change"] = toleranceChange, ["history_size"] = historySize,
        })
    {
        LineSearchFn = lineSearchFn is null or StrongWolfe ? lineSearchFn : throw new ArgumentException(
            $"LBFGS: unknown line search '{lineSearchFn}'; it takes null (none) or \"{StrongWolfe}\"",
            nameof(lineSearchFn));
    }

    /// <summary>The line search: null (a fixed step of lr) or <c>"strong_wolfe"</c>.</summary>
    public string? LineSearchFn { get; }

    private ParameterGroup Group => ParamGroups[0];

    /// <summary>Iterations per <see cref="Step(Func{Tensor})"/>.</summary>
    public int MaxIter => (int)Group["max_iter"];

    /// <summary>Closure calls per <see cref="Step(Func{Tensor})"/>.</summary>
    public int MaxEval => (int)Group["max_eval"];

    /// <summary>Stops when every gradient element is at most this in size.</summary>
    public double ToleranceGrad => Group["tolerance_grad"];

    /// <summary>Stops when the step or the loss changes by less than this.</summary>
    public double ToleranceChange => Group["tolerance_change"];

    /// <summary>How many past pairs shape the direction.</summary>
    public int HistorySize => (int)Group["history_size"];

    /// <summary>Iterations run over all steps.</summary>
    public int Iterations { get; private set; }

    /// <summary>Closure calls over all steps, line-search trials included.</summary>
    public int FunctionEvaluations { get; private set; }

    /// <inheritdoc/>
    protected override void CheckGroup(ParameterGroup group)
    {
        if (ParamGroups.Count > 0)
            throw new ArgumentException("LBFGS: takes one parameter group (as PyTorch's), not per-parameter settings");
        if (group.Parameters.Any(p => !p.RequiresGrad || p.Device.Type != DeviceType.Cpu))
            throw new ArgumentException("LBFGS: can only update CPU leaf tensors that require grad");
        foreach (var (option, name) in new[] { ("max_iter", "maxIter"), ("history_size", "historySize") })
            if (group[option] < 1 || group[option] != Math.Floor(group[option]))
                throw new ArgumentOutOfRangeException(name, group[option],
                    $"LBFGS: {option} must be a positive whole number, got {group[option]}");
    }

    /// <inheritdoc/>
    protected override IEnumerable<string> BufferNames(ParameterGroup group) => [];

    /// <summary>Refused: L-BFGS evaluates the loss at several points, so it needs a closure.</summary>
    public override void Step() =>
        throw new InvalidOperationException("LBFGS: re-evaluates the loss; call Step(closure)");

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> parameter, ReadOnlySpan<T> grad, ParameterState state,
        ParameterGroup group) => throw new UnreachableException("LBFGS updates only through Step(closure)");

    /// <summary>Runs the iterations of one step and returns the loss at the starting point.</summary>
    public Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        Tensor originalLoss;
        using (Autograd.EnableGrad()) originalLoss = closure();
        double loss = originalLoss.Item();
        int evaluations = 1;
        FunctionEvaluations++;
        var grad = FlatGrad();
        if (MaxAbs(grad) <= ToleranceGrad) return originalLoss;
        for (int iteration = 1; ; iteration++)
        {
            Iterations++;
            if (Iterations == 1)
            {
                ClearHistory();
                _direction = Scaled(grad, -1);
            }
            else _direction = Direction(grad);
            _previousGrad = grad;
            double previousLoss = loss;
            _stepLength = Iterations == 1 ? Math.Min(1, 1 / grad.Sum(Math.Abs)) * LearningRate : LearningRate;
            double slope = Dot(grad, _direction);
            if (slope > -ToleranceChange) break;
            int stepEvaluations = 0;
            if (LineSearchFn is null)
            {
                AddToParameters(_stepLength, _direction);
                // the last iteration's point is not evaluated: the next step's closure call will
                if (iteration != MaxIter)
                {
                    (loss, grad) = Evaluate(closure);
                    stepEvaluations = 1;
                }
            }
            else
            {
                (var best, stepEvaluations) = SearchStrongWolfe(closure, new LinePoint(0, loss, grad, slope));
                (_stepLength, loss, grad) = (best.Step, best.Loss, best.Grad);
                AddToParameters(_stepLength, _direction);
            }
            evaluations += stepEvaluations;
            FunctionEvaluations += stepEvaluations;
            if (iteration == MaxIter || evaluations >= MaxEval) break;
            if (MaxAbs(grad) <= ToleranceGrad) break;
            if (_direction.Max(d => Math.Abs(d * _stepLength)) <= ToleranceChange) break;
            if (Math.Abs(loss - previousLoss) < ToleranceChange) break;
        }
        return originalLoss;
    }

    /// <summary>A trial step along the direction: its length, and the loss, gradient and slope g·d there.</summary>
    private readonly record struct LinePoint(double Step, double Loss, double[] Grad, double Slope);

    /// <summary>
    /// The strong-Wolfe line search (Nocedal and Wright, algorithms 3.5 and 3.6): grows the trial step by cubic
    /// extrapolation until a step meets both conditions or brackets one, then shrinks the bracket by cubic
    /// interpolation, every trial evaluating the closure. Returns the best point found and the closure calls made;
    /// the parameters are back at their starting values.
    /// </summary>
    private (LinePoint Best, int Evaluations) SearchStrongWolfe(Func<Tensor> closure, LinePoint origin)
    {
        var direction = _direction!;
        var start = Parameters.Select(p => p.Detach().Clone()).ToArray();
        LinePoint Trial(double step)
        {
            AddToParameters(step, direction);
            var (loss, grad) = Evaluate(closure);
            using (Autograd.NoGrad())
                for (int i = 0; i < start.Length; i++) Parameters[i].Copy_(start[i]);
            return new LinePoint(step, loss, grad, Dot(grad, direction));
        }
        bool FailsSufficientDecrease(LinePoint p) => p.Loss > origin.Loss + SufficientDecrease * p.Step * origin.Slope;
        bool MeetsCurvatureCondition(LinePoint p) => Math.Abs(p.Slope) <= -Curvature * origin.Slope;

        var previous = origin;
        var current = Trial(_stepLength);
        int trials = 0;   // after the first, as PyTorch's ls_iter
        LinePoint[]? bracket = null;
        bool done = false;
        for (; trials < MaxLineSearchTrials; trials++)
        {
            if (FailsSufficientDecrease(current) || (trials > 1 && current.Loss >= previous.Loss))
                bracket = [previous, current];
            else if (MeetsCurvatureCondition(current)) (bracket, done) = ([current, current], true);
            else if (current.Slope >= 0) bracket = [previous, current];
            if (bracket is not null) break;
            // extrapolate: at least 1% beyond the current step, at most ten times it
            double next = CubicMinimizer(previous, current,
                current.Step + 0.01 * (current.Step - previous.Step), current.Step * 10);
            previous = current;
            current = Trial(next);
        }
        // out of trials before bracketing: the better of the origin and the last trial
        bracket ??= [origin, current];
        int low = bracket[0].Loss <= bracket[1].Loss ? 0 : 1;
        bool lastNearEdge = false;
        double directionSize = MaxAbs(direction);
        for (; !done && trials < MaxLineSearchTrials; trials++)
        {
            double min = Math.Min(bracket[0].Step, bracket[1].Step), max = Math.Max(bracket[0].Step, bracket[1].Step);
            if ((max - min) * directionSize < BracketTolerance) break;
            double step = CubicMinimizer(bracket[0], bracket[1], min, max);
            // keep a trial within the inner 80% of the bracket when the last one also fell near its edge (or this
            // one falls on it), so that the bracket keeps shrinking by a fair share
            double margin = 0.1 * (max - min);
            bool nearEdge = Math.Min(max - step, step - min) < margin;
            if (nearEdge && (lastNearEdge || step >= max || step <= min))
            {
                step = Math.Abs(step - max) < Math.Abs(step - min) ? max - margin : min + margin;
                nearEdge = false;
            }
            lastNearEdge = nearEdge;
            var trial = Trial(step);
            int high = 1 - low;
            if (FailsSufficientDecrease(trial) || trial.Loss >= bracket[low].Loss)
            {
                bracket[high] = trial;
                low = bracket[0].Loss <= bracket[1].Loss ? 0 : 1;
                continue;
            }
            if (MeetsCurvatureCondition(trial)) done = true;
            else if (trial.Slope * (bracket[high].Step - bracket[low].Step) >= 0) bracket[high] = bracket[low];
            bracket[low] = trial;
        }
        return (bracket[low], trials + 1);
    }

    /// <summary>
    /// The minimizer of the cubic through two points with their losses and slopes, clamped to [min, max]; the middle
    /// of that range when the cubic has none.
    /// </summary>
    private static double CubicMinimizer(LinePoint a, LinePoint b, double min, double max)
    {
        double d1 = a.Slope + b.Slope - 3 * (a.Loss - b.Loss) / (a.Step - b.Step);
        double d2Square = d1 * d1 - a.Slope * b.Slope;
        if (d2Square < 0) return (min + max) / 2;
        double d2 = Math.Sqrt(d2Square);
        double minimizer = a.Step <= b.Step
            ? b.Step - (b.Step - a.Step) * ((b.Slope + d2 - d1) / (b.Slope - a.Slope + 2 * d2))
            : a.Step - (a.Step - b.Step) * ((a.Slope + d2 - d1) / (a.Slope - b.Slope + 2 * d2));
        return Math.Min(Math.Max(minimizer, min), max);
    }

    private (double Loss, double[] Grad) Evaluate(Func<Tensor> closure)
    {
        double loss;
        using (Autograd.EnableGrad()) loss = closure().Item();
        return (loss, FlatGrad());
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

    /// <summary>
    /// <inheritdoc/> L-BFGS's history is one entry per name under parameter 0, as PyTorch keeps it:
    /// <c>func_evals</c>, <c>n_iter</c>, and once it has iterated the direction <c>d</c>, step length <c>t</c>,
    /// <c>prev_flat_grad</c>, <c>H_diag</c>, and the pairs as rows of <c>old_dirs</c> and <c>old_stps</c> with
    /// their <c>ro</c>.
    /// </summary>
    public override Dictionary<string, Tensor> StateDict()
    {
        var dict = base.StateDict();
        dict[LineSearchKey] = Tensor.Scalar(LineSearchFn is null ? 0.0 : 1.0, DType.Float64);
        dict["state.0.func_evals"] = Tensor.FromArray([(long)FunctionEvaluations], []);
        dict["state.0.n_iter"] = Tensor.FromArray([(long)Iterations], []);
        if (_direction is null) return dict;
        int n = _direction.Length;
        dict["state.0.d"] = Tensor.FromArray(_direction);
        dict["state.0.t"] = Tensor.Scalar(_stepLength, DType.Float64);
        dict["state.0.prev_flat_grad"] = Tensor.FromArray(_previousGrad!);
        dict["state.0.H_diag"] = Tensor.Scalar(_hessianDiagonal, DType.Float64);
        dict["state.0.old_dirs"] = Tensor.FromArray(_oldDirections.SelectMany(y => y).ToArray(), [_rho.Count, n]);
        dict["state.0.old_stps"] = Tensor.FromArray(_oldSteps.SelectMany(s => s).ToArray(), [_rho.Count, n]);
        dict["state.0.ro"] = Tensor.FromArray(_rho.ToArray());
        return dict;
    }

    /// <summary>
    /// <inheritdoc/> L-BFGS's history (see <see cref="StateDict"/>) must come whole, with vectors the length of
    /// all parameters together.
    /// </summary>
    public override void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        int n = Parameters.Sum(p => p.Numel);
        var history = state.Where(e => e.Key.StartsWith("state.", StringComparison.Ordinal))
            .ToDictionary(e => e.Key, e => e.Value);
        int pairs = history.TryGetValue("state.0.ro", out var ro) ? ro.Numel : 0;
        var counters = new Dictionary<string, int[]> { ["func_evals"] = [], ["n_iter"] = [] };
        var iterated = new Dictionary<string, int[]>
        {
            ["d"] = [n], ["t"] = [], ["prev_flat_grad"] = [n], ["H_diag"] = [],
            ["old_dirs"] = [pairs, n], ["old_stps"] = [pairs, n], ["ro"] = [pairs],
        };
        var problems = history.Keys.Where(key => !counters.Concat(iterated).Any(e => key == $"state.0.{e.Key}"))
            .Select(key => $"unexpected entry {key}").ToList();
        bool hasIterated = iterated.Keys.Any(name => history.ContainsKey($"state.0.{name}"));
        foreach (var (name, shape) in hasIterated ? counters.Concat(iterated) : counters)
            if (!history.TryGetValue($"state.0.{name}", out var value)) problems.Add($"state.0.{name} is missing");
            else if (!value.Shape.SequenceEqual(shape))
                problems.Add($"state.0.{name} has shape {Shapes.Format(value.shape)} but should have " +
                    Shapes.Format(shape));
        // a state written before the search was recorded has no entry, and loads into either
        if (state.TryGetValue(LineSearchKey, out var search) && search.To(DType.Float64).Item() != 0 != (LineSearchFn
            is not null))
            problems.Add($"it was written with line search {(LineSearchFn is null ? StrongWolfe : "none")} but this " +
                $"optimizer has {LineSearchFn ?? "none"}");
        if (problems.Count > 0)
            throw new InvalidDataException("LBFGS: the state dict does not fit: " + string.Join("; ", problems));
        base.LoadStateDict(state.Where(e => !history.ContainsKey(e.Key) && e.Key != LineSearchKey)
            .ToDictionary(e => e.Key, e => e.Value));

        double[] Vector(string name) => history[$"state.0.{name}"].To(DType.Float64).ToArray<double>();
        FunctionEvaluations = (int)history["state.0.func_evals"].To(DType.Int64).Item<long>();
        Iterations = (int)history["state.0.n_iter"].To(DType.Int64).Item<long>();
        ClearHistory();
        (_direction, _previousGrad) = hasIterated ? (Vector("d"), Vector("prev_flat_grad")) : (null, null);
        if (!hasIterated) return;
        _stepLength = Vector("t")[0];
        _hessianDiagonal = Vector("H_diag")[0];
        _rho.AddRange(Vector("ro"));
        _oldDirections.AddRange(Vector("old_dirs").Chunk(n));
        _oldSteps.AddRange(Vector("old_stps").Chunk(n));
    }

    private double[] FlatGrad() => Parameters.SelectMany(p => p.Grad is { } g
        ? g.To(DType.Float64).Contiguous().ToArray<double>() : new double[p.Numel]).ToArray();

    private void AddToParameters(double step, double[] direction)
    {
        int offset = 0;
        using (Autograd.NoGrad())
            foreach (var p in Parameters)
            {
                var delta = Tensor.FromArray(direction[offset..(offset + p.Numel)], p.Shape).To(p.DType);
                p.Copy_(p + delta * step);
                offset += p.Numel;
            }
    }

    private static double[] Scaled(double[] v, double factor) => v.Select(x => x * factor).ToArray();

    private static double MaxAbs(double[] v) => v.Max(Math.Abs);

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
