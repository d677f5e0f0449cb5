using System.Globalization;
using System.Runtime.CompilerServices;

namespace Backprop;

/// <summary>A malformed expression or binding; <see cref="Column"/> is 1-based, or 0 where no column applies.</summary>
public sealed class ExpressionException(string message, int column = 0)
    : Exception(column > 0 ? $"column {column}: {message}" : message)
{
    /// <summary>The 1-based column of the problem in the expression text, or 0.</summary>
    public int Column { get; } = column;
}

/// <summary>
/// A parsed expression such as <c>(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)</c>: numbers, variables,
/// <c>+ - * / ^</c>, unary minus, parentheses and the functions exp, log, sqrt, sin, cos, tanh, sigmoid,
/// relu, abs, max(a,b), min(a,b). <c>^</c> is right-associative and binds tighter than unary minus.
/// </summary>
public sealed class Expression
{
    private readonly List<Step> _program;

    private Expression(string text, List<Step> program, List<string> variables)
    {
        Text = text;
        _program = program;
        Variables = variables;
    }

    /// <summary>The source text.</summary>
    public string Text { get; }

    /// <summary>The variables, in order of first appearance.</summary>
    public IReadOnlyList<string> Variables { get; }

    /// <summary>Parses <paramref name="text"/>, or throws <see cref="ExpressionException"/> naming the problem and its
    /// column.</summary>
    public static Expression Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new Parser(text);
        parser.ParseAll();
        return new Expression(text, parser.Program, parser.Variables);
    }

    /// <summary>
    /// Builds the circuit at the given variable values. Each variable is one input wire, however often it
    /// appears, so its gradients add up. Returns the output wire and the input wires by name.
    /// </summary>
    public (Value output, IReadOnlyDictionary<string, Value> inputs) Build(IReadOnlyDictionary<string, double> at)
    {
        var inputs = new Dictionary<string, Value>();
        foreach (var name in Variables)
        {
            if (!at.TryGetValue(name, out double v))
                throw new ExpressionException($"variable '{name}' has no value (give it with --at {name}=...)");
            inputs[name] = new Value(v, name);
        }
        var stack = new Stack<Built>();
        foreach (var step in _program)
        {
            switch (step.Kind)
            {
                case StepKind.Number: stack.Push(new(null, step.Number)); break;
                case StepKind.Variable: stack.Push(new(inputs[step.Name], 0)); break;
                case StepKind.Function: stack.Push(Apply(step, stack.Pop(), default)); break;
                default: var r = stack.Pop(); stack.Push(Apply(step, stack.Pop(), r)); break;
            }
        }
        var result = stack.Pop();
        return (result.Wire ?? new Value(result.Number), inputs);
    }

    // The parser emits the expression in postfix order, so building the circuit is a loop with a stack
    // (no recursion, however long the expression). A step that involves no variable folds to a number.
    private enum StepKind { Number, Variable, Function, Operator, MinMax }

    private readonly record struct Step(StepKind Kind, double Number = 0, string Name = "", char Op = '\0');

    private readonly record struct Built(Value? Wire, double Number)
    {
        public Value AsWire() => Wire ?? new Value(Number, Format.Number(Number));
    }

    private static Built Apply(Step step, Built l, Built r)
    {
        switch (step.Kind)
        {
            case StepKind.Function:
                return l.Wire is null
                    ? new(null, UnaryGates[step.Name].Forward(l.Number, 0, double.NaN))
                    : new(Value.Apply(UnaryGates[step.Name], l.Wire), 0);
            case StepKind.MinMax:
                bool isMax = step.Name == "max";
                if (l.Wire is null && r.Wire is null) return new(null,
                    isMax ? Math.Max(l.Number, r.Number) : Math.Min(l.Number, r.Number));
                return new(isMax ? Value.Max(l.AsWire(), r.AsWire()) : Value.Min(l.AsWire(), r.AsWire()), 0);
        }
        if (l.Wire is null && r.Wire is null)
            return new(null, step.Op switch
            {
                '+' => l.Number + r.Number, '-' => l.Number - r.Number, '*' => l.Number * r.Number,
                '/' => l.Number / r.Number, _ => Math.Pow(l.Number, r.Number),
            });
        // a number on one side makes the notes' constant gates (+c, *a, ^k) rather than a constant wire
        return new(step.Op switch
        {
            '+' => l.Wire is null ? l.Number + r.Wire! : r.Wire is null ? l.Wire + r.Number : l.Wire + r.Wire,
            '-' => l.Wire is null ? l.Number - r.Wire! : r.Wire is null ? l.Wire - r.Number : l.Wire - r.Wire,
            '*' => l.Wire is null ? l.Number * r.Wire! : r.Wire is null ? l.Wire * r.Number : l.Wire * r.Wire,
            '/' => l.Wire is null ? l.Number / r.Wire! : r.Wire is null ? l.Wire / r.Number : l.Wire / r.Wire,
            _ => r.Wire is null ? l.Wire!.Pow(r.Number) : l.AsWire().Pow(r.Wire),
        }, 0);
    }

    // "neg" is the gate unary minus makes, not a function a user writes: the name is free for a variable
    private static bool IsFunction(string name) =>
        name is "max" or "min" || (UnaryGates.ContainsKey(name) && name != "neg");

    private static readonly Dictionary<string, Gate> UnaryGates = new()
    {
        ["neg"] = Gates.Neg, ["exp"] = Gates.Exp, ["log"] = Gates.Log, ["sqrt"] = Gates.Sqrt,
        ["sin"] = Gates.Sin, ["cos"] = Gates.Cos, ["tanh"] = Gates.Tanh, ["sigmoid"] = Gates.Sigmoid,
        ["relu"] = Gates.Relu, ["abs"] = Gates.Abs,
    };

    // Recursive descent over the grammar:
    //   sum     := product (('+' | '-') product)*
    //   product := unary (('*' | '/') unary)*
    //   unary   := ('-' | '+') unary | power          so -x^2 is -(x^2)
    //   power   := primary ('^' unary)?               right-associative: 2^3^2 is 2^(3^2)
    //   primary := number | name | name '(' sum (',' sum)* ')' | '(' sum ')'
    private sealed class Parser(string text)
    {
        private int _pos;
        public List<string> Variables { get; } = [];
        private readonly HashSet<string> _variables = new(StringComparer.Ordinal);
        public List<Step> Program { get; } = [];
        private int _depth;
        private const int MaxDepth = 2000;

        public void ParseAll()
        {
            SkipSpace();
            if (_pos >= text.Length) throw Error("the expression is empty", 0);
            Sum();
            SkipSpace();
            if (_pos < text.Length)
                throw text[_pos] == ')' ? Error("unmatched ')'", _pos) : Error($"unexpected '{text[_pos]}'", _pos);
        }

        private void Sum()
        {
            Product();
            while (Peek() is '+' or '-')
            {
                char op = text[_pos++]; Product(); Program.Add(new(StepKind.Operator, Op: op));
            }
        }

        private void Product()
        {
            Unary();
            while (Peek() is '*' or '/')
            {
                char op = text[_pos++]; Unary(); Program.Add(new(StepKind.Operator, Op: op));
            }
        }

        private void Unary()
        {
            // the fixed limit keeps messages predictable; the stack check keeps a thread with a small stack alive
            if (++_depth > MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
            {
                int levels = _depth > MaxDepth ? MaxDepth : _depth - 1;
                throw Error($"the expression nests deeper than {levels} levels", _pos);
            }
            char c = Peek();
            if (c == '-')
            {
                _pos++;
                Unary();
                // a negative literal stays a number; a negated wire gets a neg gate
                if (Program[^1].Kind == StepKind.Number)
                    Program[^1] = Program[^1] with { Number = -Program[^1].Number };
                else Program.Add(new(StepKind.Function, Name: "neg"));
            }
            else if (c == '+') { _pos++; Unary(); }
            else Power();
            _depth--;
        }

        private void Power()
        {
            Primary();
            if (Peek() == '^') { _pos++; Unary(); Program.Add(new(StepKind.Operator, Op: '^')); }
        }

        private void Primary()
        {
            char c = Peek();
            int start = _pos;
            if (c == '(')
            {
                _pos++;
                Sum();
                Expect(')', start);
                return;
            }
            if (char.IsDigit(c) || c == '.') { Number(); return; }
            if (char.IsLetter(c) || c == '_')
            {
                while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] == '_')) _pos++;
                string name = text[start.._pos];
                if (Peek() == '(') { Call(name, start); return; }
                if (IsFunction(name)) throw Error($"function '{name}' needs parentheses: {name}(...)", start);
                if (_variables.Add(name)) Variables.Add(name);
                Program.Add(new(StepKind.Variable, Name: name));
                return;
            }
            if (_pos >= text.Length) throw Error("the expression ends where a number, variable or '(' was expected",
                _pos);
            throw Error($"unexpected '{c}' where a number, variable or '(' was expected", _pos);
        }

        private void Call(string name, int start)
        {
            int arity = name is "max" or "min" ? 2 : 1;
            if (!IsFunction(name))
                throw Error($"unknown function '{name}' (known: exp, log, sqrt, sin, cos, tanh, sigmoid, relu, abs, " +
                    "max, min)", start);
            int open = _pos++;
            int count = 1;
            Sum();
            while (Peek() == ',') { _pos++; Sum(); count++; }
            Expect(')', open);
            if (count != arity)
                throw Error($"{name} takes {arity} argument{(arity == 1 ? "" : "s")}, got {count}", start);
            Program.Add(new(arity == 2 ? StepKind.MinMax : StepKind.Function, Name: name));
        }

        private void Number()
        {
            int start = _pos;
            while (_pos < text.Length && (char.IsDigit(text[_pos]) || text[_pos] == '.')) _pos++;
            if (_pos < text.Length && text[_pos] is 'e' or 'E')
            {
                int mark = _pos++;
                if (_pos < text.Length && text[_pos] is '+' or '-') _pos++;
                if (_pos < text.Length && char.IsDigit(text[_pos]))
                {
                    while (_pos < text.Length && char.IsDigit(text[_pos])) _pos++;
                }
                else _pos = mark; // not an exponent: leave the 'e' to be read as what follows
            }
            string s = text[start.._pos];
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                throw Error($"'{s}' is not a number", start);
            if (_pos < text.Length && (char.IsLetter(text[_pos]) || text[_pos] == '_'))
                throw Error($"a number is followed by '{text[_pos]}' (write multiplication as '*')", _pos);
            Program.Add(new(StepKind.Number, Number: v));
        }

        private void Expect(char c, int openedAt)
        {
            if (Peek() == c) { _pos++; return; }
            if (_pos >= text.Length) throw Error($"'(' at column {openedAt + 1} is never closed", _pos);
            throw Error($"expected '{c}' but found '{text[_pos]}'", _pos);
        }

        private char Peek()
        {
            SkipSpace();
            return _pos < text.Length ? text[_pos] : '\0';
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        private static ExpressionException Error(string message, int index) => new(message, index + 1);
    }
}
