namespace Backprop.Tests.Scalar;

public class ExpressionTests
{
    private static (double value, IReadOnlyDictionary<string, Value> inputs) Eval(string text, params (string, double)[] at)
    {
        var (f, inputs) = Expression.Parse(text).Build(at.ToDictionary(p => p.Item1, p => p.Item2));
        f.Backward();
        return (f.Data, inputs);
    }

    [Theory]
    [InlineData("-x^2", -9)]          // ^ binds tighter than unary minus
    [InlineData("2^3^2", 512)]        // right-associative
    [InlineData("x - 1 - 1", 1)]      // left-associative
    [InlineData("x / 3 * 2", 2)]
    [InlineData("1 + 2 * x", 7)]
    [InlineData("(1 + 2) * x", 9)]
    [InlineData("x^-1", 1.0 / 3)]
    [InlineData("- -x", 3)]
    [InlineData("max(x, 5) + min(x, 5)", 8)]
    [InlineData("1.5e1 + x", 18)]
    [InlineData("relu(-x) + abs(-x)", 3)]
    public void Precedence_AsInMathematics(string text, double expected) =>
        Assert.Equal(expected, Eval(text, ("x", 3)).value, 1e-12);

    [Fact]
    public void AVariableUsedTwice_IsOneInputWhoseGradientsAddUp()
    {
        var (_, inputs) = Eval("x*y + x", ("x", 2), ("y", 5));
        Assert.Equal(2, inputs.Count);
        Assert.Equal(6, inputs["x"].Grad);
        Assert.Equal(2, inputs["y"].Grad);
    }

    [Fact]
    public void ConstantSubexpressionsFold_AndNumbersMakeConstantGates()
    {
        var (f, _) = Expression.Parse("2*3*x").Build(new Dictionary<string, double> { ["x"] = 1 });
        Assert.Same(Gates.Scale, f.Op);
        Assert.Equal(6, f.Constant);
    }

    [Theory]
    [InlineData("", 1, "empty")]
    [InlineData("x +", 4, "ends")]
    [InlineData("(x + 1", 7, "never closed")]
    [InlineData("x + 1)", 6, "unmatched ')'")]
    [InlineData("foo(x)", 1, "unknown function 'foo'")]
    [InlineData("max(x)", 1, "takes 2 arguments")]
    [InlineData("exp(x, 1)", 1, "takes 1 argument")]
    [InlineData("x $ 2", 3, "unexpected '$'")]
    [InlineData("2x", 2, "write multiplication as '*'")]
    [InlineData("1.2.3", 1, "not a number")]
    [InlineData("exp + 1", 1, "needs parentheses")]
    public void MalformedExpressions_NameTheProblemAndItsColumn(string text, int column, string fragment)
    {
        var ex = Assert.Throws<ExpressionException>(() => Expression.Parse(text));
        Assert.Equal(column, ex.Column);
        Assert.Contains(fragment, ex.Message);
    }

    [Fact]
    public void AVariableWithoutAValue_IsNamed()
    {
        var ex = Assert.Throws<ExpressionException>(() => Expression.Parse("x + y").Build(new Dictionary<string, double> { ["x"] = 1 }));
        Assert.Contains("'y'", ex.Message);
    }

    [Fact]
    public void DeepNesting_IsRefusedNotAStackOverflow()
    {
        string text = new string('(', 100_000) + "x" + new string(')', 100_000);
        var ex = Assert.Throws<ExpressionException>(() => Expression.Parse(text));
        Assert.Contains("nests deeper", ex.Message);
    }

    [Fact]
    public void LongFlatExpressions_BuildWithoutRecursion()
    {
        string text = string.Join(" + ", Enumerable.Repeat("x", 200_000));
        var (value, inputs) = Eval(text, ("x", 1));
        Assert.Equal(200_000, value);
        Assert.Equal(200_000, inputs["x"].Grad);
    }
}
