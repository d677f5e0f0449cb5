using System.Text;

namespace Backprop;

/// <summary>
/// The notes' "patterns in backward flow" for any circuit: one line per gate, in backward order, saying what the gate
/// did to the gradient arriving on its output: add distributed it unchanged, max routed it to the larger input, mul
/// scaled each input's share by the other input's value, and any other gate multiplied it by its local gradient.
/// </summary>
public static class Explain
{
    /// <summary>Describes each gate's effect on the gradient, with the numbers (run <see cref="Value.Backward()"/> first).</summary>
    public static string Describe(Value output, int digits = 4)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (digits is < 1 or > 17) throw new ArgumentOutOfRangeException(nameof(digits), digits, "significant digits must be 1 to 17");
        string N(double x) => Format.Number(x, digits);
        var order = output.Topological();
        var names = new WireNames(order);
        var gates = order.Where(v => !v.IsLeaf).ToList();
        var text = new StringBuilder();
        for (int k = gates.Count - 1; k >= 0; k--)
        {
            var v = gates[k];
            var op = v.Op!;
            var a = v.Inputs[0];
            var b = v.Inputs.Count > 1 ? v.Inputs[1] : null;
            string na = names[a], nb = b is null ? "" : names[b], g = N(v.Grad);
            var (la, lb) = op.LocalGradient(a.Data, b?.Data ?? 0, v.Constant, v.Data);
            string what;
            if (op == Gates.Add)
                what = $"add distributed its gradient {g} unchanged to {na} and {nb}";
            else if (op == Gates.AddConstant)
                what = $"add passed its gradient {g} unchanged to {na}";
            else if (op == Gates.Sub)
                what = $"sub passed its gradient {g} unchanged to {na} and negated, {N(-v.Grad)}, to {nb}";
            else if (op == Gates.Mul)
                what = $"mul scaled its gradient by the other input's value: d{na} += {N(b!.Data)} × {g} = {N(la * v.Grad)}, " +
                       $"d{nb} += {N(a.Data)} × {g} = {N(lb * v.Grad)}";
            else if (op == Gates.Scale)
                what = $"scale multiplied its gradient by the constant: d{na} += {N(v.Constant)} × {g} = {N(la * v.Grad)}";
            else if (op == Gates.Max || op == Gates.Min)
                what = Route(op == Gates.Max, a, b!, na, nb, g, N);
            else
                what = b is null
                    ? $"{op.Name} multiplied its gradient by its local gradient: d{na} += {N(la)} × {g} = {N(la * v.Grad)}"
                    : $"{op.Name} multiplied its gradient by its local gradients: d{na} += {N(la)} × {g} = {N(la * v.Grad)}, " +
                      $"d{nb} += {N(lb)} × {g} = {N(lb * v.Grad)}";
            text.Append($"#({k + 1}) {names[v]} = {op.Notation(na, nb, v.Constant)}: {what}\n");
        }
        return text.ToString();
    }

    private static string Route(bool isMax, Value a, Value b, string na, string nb, string g, Func<double, string> n)
    {
        string which = isMax ? "larger" : "smaller";
        string gate = isMax ? "max" : "min";
        if (a.Data == b.Data) return $"{gate} split its gradient {g} evenly between {na} and {nb} (a tie at {n(a.Data)})";
        bool first = isMax ? a.Data > b.Data : a.Data < b.Data;
        var (win, lose, wv, lv) = first ? (na, nb, a.Data, b.Data) : (nb, na, b.Data, a.Data);
        return $"{gate} routed its gradient {g} to {win}, the {which} input ({n(wv)} vs {n(lv)}); {lose} gets 0";
    }
}
