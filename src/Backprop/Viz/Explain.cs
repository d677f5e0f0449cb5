using System.Text;

namespace Backprop;

/// <summary>
/// The notes' "patterns in backward flow" for any circuit: one line per gate, in backward order, saying what the gate
/// did to the gradient arriving on its output: add distributed it unchanged, max routed it to the larger input, mul
/// scaled each input's share by the other input's value, and any other gate multiplied it by its local gradient.
/// Then one line per wire that forks, adding up what its branches sent back, as the notes' <c>+=</c> does.
/// </summary>
public static class Explain
{
    /// <summary>
    /// Describes each gate's effect on the gradient, with the numbers (run <see cref="Value.Backward()"/> first).
    /// </summary>
    public static string Describe(Value output, int digits = 4)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (digits is < 1 or > 17)
            throw new ArgumentOutOfRangeException(nameof(digits), digits, "significant digits must be 1 to 17");
        var text = new StringBuilder();
        foreach (var sentence in Sentences(output, v => "", v => ""))
            text.Append(Render(sentence, x => Format.Number(x, digits))).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// Each gate's sentence, in backward order, as words and numbers; each number carries its value now and, for the
    /// interactive page, the script expression that computes it from the wires' values and gradients.
    /// </summary>
    internal static List<ExplainPart[]> Sentences(Value output, Func<Value, string> valueCode,
        Func<Value, string> gradCode)
    {
        var order = output.Topological();
        var names = new WireNames(order);
        var gates = order.Where(v => !v.IsLeaf).ToList();
        var sentences = new List<ExplainPart[]>();
        // what each gate sent back along each of its input wires, in backward order
        var branches = new Dictionary<Value, List<Number>>(ReferenceEqualityComparer.Instance);
        void Branch(Value input, Value gate, double local, string localCode)
        {
            if (!branches.TryGetValue(input, out var list)) branches[input] = list = [];
            list.Add(new Number(local * gate.Grad, $"({localCode}) * {gradCode(gate)}"));
        }
        for (int k = gates.Count - 1; k >= 0; k--)
        {
            var v = gates[k];
            var op = v.Op!;
            var a = v.Inputs[0];
            var b = v.Inputs.Count > 1 ? v.Inputs[1] : null;
            string na = names[a], nb = b is null ? "" : names[b];
            var (la, lb) = op.LocalGradient(a.Data, b?.Data ?? 0, v.Constant, v.Data);
            string bCode = b is null ? "" : valueCode(b);
            var (laCode, lbCode) = op.HasCode
                ? op.LocalGradientCode(valueCode(a), bCode, v.Constant, valueCode(v), CodeLanguage.JavaScript)
                : ("NaN", "NaN");
            var g = new Number(v.Grad, gradCode(v));
            Branch(a, v, la, laCode);
            if (b is not null) Branch(b, v, lb, lbCode);
            ExplainPart[] Times(double local, string localCode) =>
                [new Number(local, localCode), new Words(" × "), g, new Words(" = "),
                 new Number(local * v.Grad, $"({localCode}) * {gradCode(v)}")];
            string notation = op.Notation(na, nb, v.Constant);
            var line = new List<ExplainPart> { new Words($"#({k + 1}) {names[v]} = {notation}: ") };
            if (op == Gates.Add)
                line.AddRange([new Words("add distributed its gradient "), g,
                    new Words($" unchanged to {na} and {nb}")]);
            else if (op == Gates.AddConstant)
                line.AddRange([new Words("add passed its gradient "), g, new Words($" unchanged to {na}")]);
            else if (op == Gates.Sub)
                line.AddRange([new Words("sub passed its gradient "), g, new Words($" unchanged to {na} and negated, "),
                    new Number(-v.Grad, $"-{gradCode(v)}"), new Words($", to {nb}")]);
            else if (op == Gates.Mul)
                line.AddRange([new Words($"mul scaled its gradient by the other input's value: d{na} += "),
                    .. Times(la, laCode), new Words($", d{nb} += "), .. Times(lb, lbCode)]);
            else if (op == Gates.Scale)
                line.AddRange([new Words($"scale multiplied its gradient by the constant: d{na} += "),
                    .. Times(la, laCode)]);
            else if (op == Gates.Max || op == Gates.Min)
                line.Add(Route(op == Gates.Max, a, b!, na, nb, g, valueCode));
            else if (b is null)
                line.AddRange([new Words($"{op.Name} multiplied its gradient by its local gradient: d{na} += "),
                    .. Times(la, laCode)]);
            else
                line.AddRange([new Words($"{op.Name} multiplied its gradient by its local gradients: d{na} += "),
                    .. Times(la, laCode), new Words($", d{nb} += "), .. Times(lb, lbCode)]);
            sentences.Add([.. line]);
        }
        foreach (var wire in order.Where(w => branches.TryGetValue(w, out var list) && list.Count > 1))
            sentences.Add(ForkSum(names[wire], branches[wire], new Number(wire.Grad, gradCode(wire))));
        return sentences;
    }

    // the fork's equation, then why the branches add up
    private static ExplainPart[] ForkSum(string wire, List<Number> branches, Number total) =>
    [
        .. Backprop.ForkSum.Parts(wire, branches, total),
        new Words($": {wire} feeds {branches.Count} gate inputs, so its branches' gradients add up (+=)"),
    ];

    // max and min route by comparing the inputs, which the page redoes as its inputs move
    private static Choice Route(bool isMax, Value a, Value b, string na, string nb, Number g,
        Func<Value, string> valueCode)
    {
        string which = isMax ? "larger" : "smaller", gate = isMax ? "max" : "min";
        var av = new Number(a.Data, valueCode(a));
        var bv = new Number(b.Data, valueCode(b));
        ExplainPart[] Routed(string win, string lose, Number wv, Number lv) =>
            [new Words($"{gate} routed its gradient "), g, new Words($" to {win}, the {which} input ("), wv,
             new Words(" vs "), lv, new Words($"); {lose} gets 0")];
        bool firstWins = isMax ? a.Data > b.Data : a.Data < b.Data;
        string op = isMax ? ">" : "<";
        return new Choice(a.Data == b.Data, $"{valueCode(a)} === {valueCode(b)}",
            [new Words($"{gate} split its gradient "), g, new Words($" evenly between {na} and {nb} (a tie at "), av,
             new Words(")")],
            [new Choice(firstWins, $"{valueCode(a)} {op} {valueCode(b)}",
                Routed(na, nb, av, bv), Routed(nb, na, bv, av))]);
    }

    /// <summary>A sentence with its numbers written by <paramref name="number"/>.</summary>
    internal static string Render(IEnumerable<ExplainPart> parts, Func<double, string> number)
    {
        var text = new StringBuilder();
        foreach (var part in parts)
            text.Append(part switch
            {
                Words w => w.Text,
                Number n => n.Parenthesized && n.Value < 0 ? $"({number(n.Value)})" : number(n.Value),
                Choice c => Render(c.Now ? c.IfTrue : c.IfFalse, number),
                _ => throw new InvalidOperationException(part.GetType().Name),
            });
        return text.ToString();
    }
}

/// <summary>A piece of an <see cref="Explain"/> sentence.</summary>
internal abstract record ExplainPart;

/// <summary>Words, the same whatever the inputs.</summary>
internal sealed record Words(string Text) : ExplainPart;

/// <summary>
/// A number: its value now, and the script expression that computes it; <see cref="Parenthesized"/> puts a negative
/// one in parentheses, as a term of a sum.
/// </summary>
internal sealed record Number(double Value, string Code, bool Parenthesized = false) : ExplainPart;

/// <summary>One of two phrasings, chosen by comparing the inputs: the outcome now, and its script expression.</summary>
internal sealed record Choice(bool Now, string Code, ExplainPart[] IfTrue, ExplainPart[] IfFalse) : ExplainPart;
