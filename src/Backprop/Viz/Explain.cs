using System.Text;

namespace Backprop;

/// <summary>
/// The notes' "patterns in backward flow" for any circuit: one line per gate, in backward order, saying what the gate
/// did to the gradient arriving on its output: add distributed it unchanged, max routed it to the larger input, mul
/// scaled each input's share by the other input's value, and any other gate multiplied it by its local gradient.
/// Then one line per wire that forks, adding up what its branches sent back, as the notes' <c>+=</c> does. A wire
/// nobody named is called by what the expression wrote, as in <c>(x + y)^2</c> (<see cref="WrittenNames"/>).
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
        var names = new WrittenNames(order);
        var gates = order.Where(v => !v.IsLeaf).ToList();
        var sentences = new List<ExplainPart[]>();
        for (int k = gates.Count - 1; k >= 0; k--)
        {
            var v = gates[k];
            var op = v.Op!;
            var a = v.Inputs[0];
            var b = v.Inputs.Count > 1 ? v.Inputs[1] : null;
            string na = names[a], nb = b is null ? "" : names[b];
            // a gradient's name: d before anything but a name, number or call in parentheses, d(x + y), d(2^x)
            string dna = "d" + names.Operand(a, true), dnb = b is null ? "" : "d" + names.Operand(b, true);
            var (la, lb) = op.LocalGradient(a.Data, b?.Data ?? 0, v.Constant, v.Data);
            string bCode = b is null ? "" : valueCode(b);
            var (laCode, lbCode) = op.HasCode
                ? op.LocalGradientCode(valueCode(a), bCode, v.Constant, valueCode(v), CodeLanguage.JavaScript)
                : ("NaN", "NaN");
            var g = new Number(v.Grad, gradCode(v));
            ExplainPart[] Times(double local, string localCode) =>
                [new Number(local, localCode), new Words(" × "), g, new Words(" = "),
                 new Number(local * v.Grad, $"({localCode}) * {gradCode(v)}")];
            string notation = names.Notation(v);
            // a wire the user named reads "name = notation"; one the expression wrote, its notation alone
            string head = names[v] == notation ? notation : $"{names[v]} = {notation}";
            string gate = op.HasConstant ? op.Describe(v.Constant) : op.Name;
            var line = new List<ExplainPart> { new Words($"#({k + 1}) {head}: ") };
            if (op == Gates.Add)
                line.AddRange([new Words("add distributed its gradient "), g,
                    new Words($" unchanged to {na} and {nb}")]);
            else if (op == Gates.AddConstant)
                line.AddRange([new Words("add passed its gradient "), g, new Words($" unchanged to {na}")]);
            else if (op == Gates.Sub)
                line.AddRange([new Words("sub passed its gradient "), g, new Words($" unchanged to {na} and negated, "),
                    new Number(-v.Grad, $"-{gradCode(v)}"), new Words($", to {nb}")]);
            else if (op == Gates.Mul)
                line.AddRange([new Words($"mul scaled its gradient by the other input's value: {dna} += "),
                    .. Times(la, laCode), new Words($", {dnb} += "), .. Times(lb, lbCode)]);
            else if (op == Gates.Scale)
                line.AddRange([new Words($"scale multiplied its gradient by the constant: {dna} += "),
                    .. Times(la, laCode)]);
            else if (op == Gates.Max || op == Gates.Min)
                line.Add(Route(op == Gates.Max, a, b!, na, nb, g, valueCode));
            else if (b is null)
                line.AddRange([new Words($"{gate} multiplied its gradient by its local gradient: {dna} += "),
                    .. Times(la, laCode)]);
            else
                line.AddRange([new Words($"{gate} multiplied its gradient by its local gradients: {dna} += "),
                    .. Times(la, laCode), new Words($", {dnb} += "), .. Times(lb, lbCode)]);
            sentences.Add([.. line]);
        }
        var branches = ForkSum.Branches(order, _ => true, valueCode, gradCode);
        foreach (var wire in order.Where(w => branches.TryGetValue(w, out var list) && list.Count > 1))
            sentences.Add(
                ForkSentence(names.Operand(wire, true), branches[wire], new Number(wire.Grad, gradCode(wire))));
        return sentences;
    }

    // the fork's equation, then why the branches add up
    private static ExplainPart[] ForkSentence(string wire, List<Number> branches, Number total) =>
    [
        .. ForkSum.Parts(wire, branches, total),
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

/// <summary>
/// The names an explanation uses: a wire the user named (an input, a labelled wire) by its name, and a wire the
/// expression made by what the expression wrote, as in <c>x + y</c> or <c>σ(x)</c>, rather than a made-up
/// <c>add2</c>; a written form longer than <see cref="Longest"/> characters falls back to the made-up name.
/// </summary>
internal sealed class WrittenNames
{
    private const int Longest = 32;
    private readonly WireNames names;
    private readonly Dictionary<Value, string> _written = new(ReferenceEqualityComparer.Instance);

    /// <summary>Names the wires of <paramref name="order"/> (topological), each after its inputs: no recursion, so a
    /// chain of any length is named.</summary>
    public WrittenNames(IReadOnlyList<Value> order)
    {
        names = new WireNames(order);
        foreach (var wire in order)
        {
            string text = WireNames.IsConstant(wire) ? wire.Label ?? Format.Number(wire.Data) : names[wire];
            if (wire.Op is not null && !Named(wire) && Notation(wire) is { Length: <= Longest } notation)
                text = notation;
            _written[wire] = text;
        }
    }

    public string this[Value wire] => _written[wire];

    /// <summary>How the gate that made <paramref name="gate"/> reads applied to its inputs' names.</summary>
    public string Notation(Value gate)
    {
        var op = gate.Op!;
        bool power = op.Notation("", "", gate.Constant).Contains('^');
        string b = gate.Inputs.Count > 1 ? Operand(gate.Inputs[1], power) : "";
        return op.Notation(Operand(gate.Inputs[0], power), b, gate.Constant);
    }

    /// <summary>
    /// The wire's name as an operand: a written form in parentheses where it has an operator outside any (x + y), or
    /// is anything but a name, number or call under a power (<paramref name="power"/>).
    /// </summary>
    public string Operand(Value wire, bool power)
    {
        string text = this[wire];
        if (wire.Op is null || text == names[wire]) return text;   // a name or a number
        bool loose = power ? !Enclosed(text) : TopLevel(text).Contains(' ');
        return loose ? $"({text})" : text;
    }

    // the output and wires the user labelled keep their names (f, num, den)
    private bool Named(Value wire) => names[wire] == wire.Label || names[wire] == "f";

    // the characters of text outside any parentheses
    private static string TopLevel(string text)
    {
        var outside = new StringBuilder();
        int depth = 0;
        foreach (char c in text)
        {
            if (c == '(') depth++;
            if (depth == 0) outside.Append(c);
            if (c == ')') depth--;
        }
        return outside.ToString();
    }

    // σ(x), exp(a + b): one call whose parentheses enclose the rest
    private static bool Enclosed(string text)
    {
        int open = text.IndexOf('(');
        return open > 0 && text[^1] == ')' && TopLevel(text) == text[..open] && !text[..open].Contains(' ');
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
