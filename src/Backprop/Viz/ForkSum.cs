namespace Backprop;

/// <summary>
/// The notes' <c>+=</c> at a fork, written out once for every format: <c>dx = 1.583 + (-0.036) + 0.512 = 2.06</c>,
/// the gradients the branches sent back in backward order (as they are added up), negative ones after the first in
/// parentheses, then the wire's gradient.
/// </summary>
internal static class ForkSum
{
    /// <summary>The equation as parts, each number with its script expression for the interactive page.</summary>
    public static List<ExplainPart> Parts(string wire, IReadOnlyList<Number> branches, Number total)
    {
        var parts = new List<ExplainPart> { new Words($"d{wire} = ") };
        for (int i = 0; i < branches.Count; i++)
        {
            if (i > 0) parts.Add(new Words(" + "));
            parts.Add(branches[i] with { Parenthesized = i > 0 });
        }
        parts.AddRange([new Words(" = "), total]);
        return parts;
    }

    /// <summary>The equation as text, its numbers with <paramref name="digits"/> significant digits.</summary>
    public static string Text(string wire, IEnumerable<double> branches, double total, int digits) =>
        Explain.Render(Parts(wire, branches.Select(b => new Number(b, "")).ToList(), new Number(total, "")),
            x => Format.Number(x, digits));

    /// <summary>
    /// What each gate sent back along each of its inputs, local gradient times upstream gradient, per input wire in
    /// backward order (as <c>+=</c> adds them up), for the wires that <paramref name="forks"/>; each with the script
    /// expression that computes it from the wires' values and gradients (run <see cref="Value.Backward()"/> first).
    /// </summary>
    public static Dictionary<Value, List<Number>> Branches(IReadOnlyList<Value> order, Func<Value, bool> forks,
        Func<Value, string> valueCode, Func<Value, string> gradCode)
    {
        var branches = new Dictionary<Value, List<Number>>(ReferenceEqualityComparer.Instance);
        for (int k = order.Count - 1; k >= 0; k--)
        {
            var v = order[k];
            if (v.IsLeaf) continue;
            var op = v.Op!;
            var a = v.Inputs[0];
            var b = v.Inputs.Count > 1 ? v.Inputs[1] : null;
            var (la, lb) = op.LocalGradient(a.Data, b?.Data ?? 0, v.Constant, v.Data);
            var (laCode, lbCode) = op.HasCode
                ? op.LocalGradientCode(valueCode(a), b is null ? "" : valueCode(b), v.Constant, valueCode(v),
                    CodeLanguage.JavaScript)
                : ("NaN", "NaN");
            Add(a, la, laCode);
            if (b is not null) Add(b, lb, lbCode);

            void Add(Value input, double local, string localCode)
            {
                if (!forks(input)) return;
                if (!branches.TryGetValue(input, out var list)) branches[input] = list = [];
                list.Add(new Number(local * v.Grad, $"({localCode}) * {gradCode(v)}"));
            }
        }
        return branches;
    }
}
