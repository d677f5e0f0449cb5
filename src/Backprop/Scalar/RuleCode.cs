using System.Linq.Expressions;
using LinqExpression = System.Linq.Expressions.Expression;

namespace Backprop;

/// <summary>
/// Prints a gate rule as C# source for staged code: parameters become the wires' names, the gate's constant is
/// folded in (so <c>k * Math.Pow(x, k - 1)</c> at k = 2 reads <c>2 * xpy</c>), and parentheses appear only where
/// precedence needs them.
/// </summary>
internal static class RuleCode
{
    public static string Print(LinqExpression rule, string a, string b, double k, string y)
    {
        return Write(GateRules.WithConstant(rule, k, squareAsProduct: false), new Dictionary<ParameterExpression, string> { [GateRules.A] = a, [GateRules.B] = b, [GateRules.Y] = y }, 0);
    }

    // precedence of C# operators, loosest first
    private static int Precedence(LinqExpression e) => e switch
    {
        ConditionalExpression => 1,
        BinaryExpression { NodeType: ExpressionType.OrElse } => 2,
        BinaryExpression { NodeType: ExpressionType.AndAlso } => 3,
        BinaryExpression { NodeType: ExpressionType.Equal or ExpressionType.NotEqual } => 4,
        BinaryExpression { NodeType: ExpressionType.LessThan or ExpressionType.GreaterThan or ExpressionType.LessThanOrEqual or ExpressionType.GreaterThanOrEqual } => 5,
        BinaryExpression { NodeType: ExpressionType.Add or ExpressionType.Subtract } => 6,
        BinaryExpression => 7,
        UnaryExpression { NodeType: ExpressionType.Convert } u => Precedence(u.Operand),
        UnaryExpression => 8,
        ConstantExpression { Value: double d } when d < 0 || double.IsNaN(d) || double.IsInfinity(d) => 8,
        _ => 9,
    };

    private static string Write(LinqExpression e, Dictionary<ParameterExpression, string> names, int outer)
    {
        string text = e switch
        {
            ParameterExpression p => names[p],
            ConstantExpression c => c.Value is double d ? Format.CSharp(d) : Convert.ToString(c.Value, System.Globalization.CultureInfo.InvariantCulture)!,
            UnaryExpression { NodeType: ExpressionType.Convert } u => Write(u.Operand, names, outer),
            UnaryExpression { NodeType: ExpressionType.Negate } u => "-" + Write(u.Operand, names, 9),
            BinaryExpression bin => $"{Write(bin.Left, names, Precedence(bin))} {Operator(bin.NodeType)} {Write(bin.Right, names, Precedence(bin) + 1)}",
            ConditionalExpression c => $"{Write(c.Test, names, 2)} ? {Write(c.IfTrue, names, 2)} : {Write(c.IfFalse, names, 1)}",
            MethodCallExpression m => $"{m.Method.DeclaringType!.Name}.{m.Method.Name}({string.Join(", ", m.Arguments.Select(x => Write(x, names, 0)))})",
            _ => throw new NotSupportedException($"a gate rule uses {e.NodeType}, which staged code cannot print"),
        };
        return e is UnaryExpression { NodeType: ExpressionType.Convert } || Precedence(e) >= outer ? text : $"({text})";
    }

    private static string Operator(ExpressionType t) => t switch
    {
        ExpressionType.Add => "+", ExpressionType.Subtract => "-", ExpressionType.Multiply => "*", ExpressionType.Divide => "/",
        ExpressionType.GreaterThan => ">", ExpressionType.LessThan => "<", ExpressionType.GreaterThanOrEqual => ">=",
        ExpressionType.LessThanOrEqual => "<=", ExpressionType.Equal => "==", ExpressionType.NotEqual => "!=",
        ExpressionType.AndAlso => "&&", ExpressionType.OrElse => "||",
        _ => throw new NotSupportedException($"a gate rule uses {t}, which staged code cannot print"),
    };
}
