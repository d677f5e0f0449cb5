using System.Linq.Expressions;
using LinqExpression = System.Linq.Expressions.Expression;

namespace Backprop;

/// <summary>The languages staged code is printed in.</summary>
internal enum CodeLanguage
{
    CSharp,
    /// <summary>For the interactive page: <c>Math.exp</c> for <c>Math.Exp</c>, <c>NaN</c> for double.NaN.</summary>
    JavaScript,
}

/// <summary>
/// Prints a gate rule as C# (or JavaScript) source for staged code: parameters become the wires' names, the gate's
/// constant is folded in (so <c>k * Math.Pow(x, k - 1)</c> at k = 2 reads <c>2 * xpy</c>), and parentheses appear
/// only where precedence needs them.
/// </summary>
internal static class RuleCode
{
    public static string Print(LinqExpression rule, string a, string b, double k, string y,
        CodeLanguage language = CodeLanguage.CSharp)
    {
        var names = new Dictionary<ParameterExpression, string>
        {
            [GateRules.A] = a, [GateRules.B] = b, [GateRules.Y] = y,
        };
        return Write(GateRules.WithConstant(rule, k, squareAsProduct: false), names, 0, language);
    }

    // precedence of C# operators, loosest first
    private static int Precedence(LinqExpression e) => e switch
    {
        ConditionalExpression => 1,
        BinaryExpression { NodeType: ExpressionType.OrElse } => 2,
        BinaryExpression { NodeType: ExpressionType.AndAlso } => 3,
        BinaryExpression { NodeType: ExpressionType.Equal or ExpressionType.NotEqual } => 4,
        BinaryExpression { NodeType: ExpressionType.LessThan or ExpressionType.GreaterThan
            or ExpressionType.LessThanOrEqual or ExpressionType.GreaterThanOrEqual } => 5,
        BinaryExpression { NodeType: ExpressionType.Add or ExpressionType.Subtract } => 6,
        BinaryExpression => 7,
        UnaryExpression { NodeType: ExpressionType.Convert } u => Precedence(u.Operand),
        UnaryExpression => 8,
        ConstantExpression { Value: double d } when d < 0 || double.IsNaN(d) || double.IsInfinity(d) => 8,
        _ => 9,
    };

    private static string Write(LinqExpression e, Dictionary<ParameterExpression, string> names, int outer,
        CodeLanguage language)
    {
        string W(LinqExpression x, int o) => Write(x, names, o, language);
        string text = e switch
        {
            ParameterExpression p => names[p],
            ConstantExpression { Value: double d } =>
                language == CodeLanguage.CSharp ? Format.CSharp(d) : JavaScriptNumber(d),
            ConstantExpression c => Convert.ToString(c.Value, System.Globalization.CultureInfo.InvariantCulture)!,
            UnaryExpression { NodeType: ExpressionType.Convert } u => W(u.Operand, outer),
            UnaryExpression { NodeType: ExpressionType.Negate } u => "-" + W(u.Operand, 9),
            BinaryExpression bin =>
                $"{W(bin.Left, Precedence(bin))} {Operator(bin.NodeType)} {W(bin.Right, Precedence(bin) + 1)}",
            ConditionalExpression c => $"{W(c.Test, 2)} ? {W(c.IfTrue, 2)} : {W(c.IfFalse, 1)}",
            MethodCallExpression m => $"{Function(m, language)}({string.Join(", ", m.Arguments.Select(x => W(x, 0)))})",
            _ => throw new NotSupportedException($"a gate rule uses {e.NodeType}, which staged code cannot print"),
        };
        return e is UnaryExpression { NodeType: ExpressionType.Convert } || Precedence(e) >= outer ? text : $"({text})";
    }

    // System.Math's functions are JavaScript's Math functions, named in camel case
    private static string Function(MethodCallExpression m, CodeLanguage language) =>
        language == CodeLanguage.CSharp ? $"{m.Method.DeclaringType!.Name}.{m.Method.Name}"
        : m.Method.DeclaringType == typeof(Math) ? $"Math.{char.ToLowerInvariant(m.Method.Name[0])}{m.Method.Name[1..]}"
        : throw new NotSupportedException(
            $"a gate rule calls {m.Method.DeclaringType!.Name}.{m.Method.Name}, which has no JavaScript form");

    /// <summary>A JavaScript number literal that reads back as the same double.</summary>
    public static string JavaScriptNumber(double x) =>
        double.IsNaN(x) ? "NaN" : double.IsPositiveInfinity(x) ? "Infinity" : double.IsNegativeInfinity(x) ? "-Infinity"
        : Format.RoundTrip(x);

    private static string Operator(ExpressionType t) => t switch
    {
        ExpressionType.Add => "+", ExpressionType.Subtract => "-",
        ExpressionType.Multiply => "*", ExpressionType.Divide => "/",
        ExpressionType.GreaterThan => ">", ExpressionType.LessThan => "<", ExpressionType.GreaterThanOrEqual => ">=",
        ExpressionType.LessThanOrEqual => "<=", ExpressionType.Equal => "==", ExpressionType.NotEqual => "!=",
        ExpressionType.AndAlso => "&&", ExpressionType.OrElse => "||",
        _ => throw new NotSupportedException($"a gate rule uses {t}, which staged code cannot print"),
    };
}
