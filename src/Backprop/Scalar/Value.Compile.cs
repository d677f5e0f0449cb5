using System.Linq.Expressions;
using LinqExpression = System.Linq.Expressions.Expression;

namespace Backprop;

/// <summary>
/// A compiled circuit: computes the output for new values of the inputs and writes the gradient on each input
/// into <paramref name="gradients"/> (same order as the inputs given to <see cref="Value.Compile"/>).
/// </summary>
public delegate double CircuitGradient(double[] inputs, double[] gradients);

public sealed partial class Value
{
    // Beyond this many gates a circuit runs from a flat tape instead of generated code (a method's locals are limited).
    private const int MaxGeneratedGates = 10_000;

    /// <summary>
    /// Compiles the circuit that computes <paramref name="output"/> into a function of new input values that returns
    /// the output and writes every input's gradient, without building a graph: small circuits become straight-line
    /// generated code (the staged forward and backward pass), large ones a flat tape. Leaves that are not among
    /// <paramref name="inputs"/> are constants at their current value.
    /// </summary>
    public static CircuitGradient Compile(Value output, params Value[] inputs)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        var index = new Dictionary<Value, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].IsLeaf) throw new ArgumentException($"input {i} ({inputs[i]}) is produced by gate " +
                $"'{inputs[i].Op!.Name}'; inputs must be leaves", nameof(inputs));
            if (!index.TryAdd(inputs[i], i)) throw new ArgumentException($"input {i} ({inputs[i]}) is listed twice",
                nameof(inputs));
        }
        var order = output.Topological();
        int gates = order.Count(v => !v.IsLeaf);
        var run = gates <= MaxGeneratedGates ? Generate(output, order, index) : Tape(output, order, index);
        int n = inputs.Length;
        return (values, gradients) =>
        {
            if (values.Length != n || gradients.Length != n)
                throw new ArgumentException($"the circuit has {n} inputs; got {values.Length} values and room " +
                    $"for {gradients.Length} gradients");
            return run(values, gradients);
        };
    }

    // Straight-line code: one local per wire for its value and one for its gradient, as the notes' staged code.
    private static CircuitGradient Generate(Value output, List<Value> order, Dictionary<Value, int> index)
    {
        var values = LinqExpression.Parameter(typeof(double[]), "inputs");
        var gradients = LinqExpression.Parameter(typeof(double[]), "gradients");
        var wire = new Dictionary<Value, LinqExpression>(ReferenceEqualityComparer.Instance);
        var grad = new Dictionary<Value, ParameterExpression>(ReferenceEqualityComparer.Instance);
        var locals = new List<ParameterExpression>();
        var body = new List<LinqExpression>();
        foreach (var v in order)
        {
            if (v.IsLeaf && !index.ContainsKey(v)) { wire[v] = LinqExpression.Constant(v.Data); continue; }
            var local = LinqExpression.Variable(typeof(double));
            locals.Add(local);
            wire[v] = local;
            body.Add(LinqExpression.Assign(local, v.IsLeaf
                ? LinqExpression.ArrayIndex(values, LinqExpression.Constant(index[v]))
                : ForwardOf(v, wire, locals, body)));
            var g = LinqExpression.Variable(typeof(double));
            locals.Add(g);
            grad[v] = g;
            body.Add(LinqExpression.Assign(g, LinqExpression.Constant(v == output ? 1.0 : 0.0)));
        }
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var v = order[i];
            if (v.IsLeaf || !grad.TryGetValue(v, out var upstream)) continue;
            var (da, db) = LocalGradientsOf(v, wire, locals, body);
            if (grad.TryGetValue(v._a!, out var ga)) body.Add(LinqExpression.AddAssign(ga,
                LinqExpression.Multiply(da, upstream)));
            if (v._b is not null && grad.TryGetValue(v._b, out var gb)) body.Add(LinqExpression.AddAssign(gb,
                LinqExpression.Multiply(db, upstream)));
        }
        foreach (var (input, i) in index)
            body.Add(LinqExpression.Assign(LinqExpression.ArrayAccess(gradients, LinqExpression.Constant(i)),
                grad.TryGetValue(input, out var g) ? g : LinqExpression.Constant(0.0)));
        body.Add(wire[output]);
        return LinqExpression.Lambda<CircuitGradient>(LinqExpression.Block(locals, body), values, gradients).Compile();
    }

    private static LinqExpression ForwardOf(Value v, Dictionary<Value, LinqExpression> wire,
        List<ParameterExpression> locals, List<LinqExpression> body)
    {
        var (a, b, k) = Operands(v, wire);
        return v.Op!.Rules is { } rules
            ? GateRules.Rebind(
                LinqExpression.Lambda(GateRules.WithConstant(rules.Forward, v.Constant, squareAsProduct: true),
                    GateRules.A, GateRules.B), a, b)
            : LinqExpression.Invoke(LinqExpression.Constant(v.Op.Forward), a, b, k);
    }

    private static (LinqExpression da, LinqExpression db) LocalGradientsOf(Value v,
        Dictionary<Value, LinqExpression> wire, List<ParameterExpression> locals, List<LinqExpression> body)
    {
        var (a, b, k) = Operands(v, wire);
        var y = wire[v];
        if (v.Op!.Rules is { } rules)
        {
            LinqExpression Bind(LinqExpression rule) => GateRules.Rebind(
                LinqExpression.Lambda(GateRules.WithConstant(rule, v.Constant, squareAsProduct: true),
                    GateRules.A, GateRules.B, GateRules.Y), a, b, y);
            return (Bind(rules.Da), Bind(rules.Db));
        }
        // a user-defined gate: call its function once and read both local gradients from the tuple it returns
        var pair = LinqExpression.Variable(typeof((double, double)));
        locals.Add(pair);
        body.Add(LinqExpression.Assign(pair,
            LinqExpression.Invoke(LinqExpression.Constant(v.Op.LocalGradient), a, b, k, y)));
        return (LinqExpression.Field(pair, "Item1"), LinqExpression.Field(pair, "Item2"));
    }

    private static (LinqExpression a, LinqExpression b, LinqExpression k) Operands(Value v,
        Dictionary<Value, LinqExpression> wire) =>
        (wire[v._a!], v._b is null ? LinqExpression.Constant(0.0) : wire[v._b], LinqExpression.Constant(v.Constant));

    // A flat tape for circuits too large for generated code: wire slots, gates as (gate, a, b, k), swept in order.
    private static CircuitGradient Tape(Value output, List<Value> order, Dictionary<Value, int> index)
    {
        var slot = new Dictionary<Value, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < order.Count; i++) slot[order[i]] = i;
        var constants = order.Select(v => v.Data).ToArray();
        var inputSlots = index.Select(p => (slot: slot.TryGetValue(p.Key, out int s) ? s : -1,
            input: p.Value)).ToArray();
        var gates = order.Select((v, i) => (v, i)).Where(p => !p.v.IsLeaf)
            .Select(p => (gate: p.v.Op!, a: slot[p.v._a!], b: p.v._b is null ? -1 : slot[p.v._b],
                k: p.v.Constant, y: p.i)).ToArray();
        int outputSlot = slot[output];
        return (inputs, gradients) =>
        {
            var value = (double[])constants.Clone();
            var grad = new double[value.Length];
            foreach (var (s, i) in inputSlots) if (s >= 0) value[s] = inputs[i];
            foreach (var (gate, a, b, k, y) in gates) value[y] = gate.Forward(value[a], b < 0 ? 0 : value[b], k);
            grad[outputSlot] = 1;
            for (int t = gates.Length - 1; t >= 0; t--)
            {
                var (gate, a, b, k, y) = gates[t];
                var (da, db) = gate.LocalGradient(value[a], b < 0 ? 0 : value[b], k, value[y]);
                grad[a] += da * grad[y];
                if (b >= 0) grad[b] += db * grad[y];
            }
            foreach (var (s, i) in inputSlots) gradients[i] = s >= 0 ? grad[s] : 0;
            return value[outputSlot];
        };
    }
}
