using System.Diagnostics;

namespace Backprop.Tests.Scalar;

/// <summary>The parser's cost is linear in the text, and no nesting depth kills the thread that parses it.</summary>
public class ParserLimitsTests
{
    // The fixed 2,000-level limit assumed an 8 MB stack; the parser now also checks the stack it has left.
    [Theory]
    [InlineData(256 * 1024, 1999)]
    [InlineData(512 * 1024, 1999)]
    [InlineData(1536 * 1024, 1999)]
    public void DeepNestingOnASmallStack_IsAnErrorNotAStackOverflow(int stackBytes, int levels)
    {
        string text = new string('(', levels) + "x" + new string(')', levels);
        Exception? caught = null;
        Expression? parsed = null;
        var thread = new Thread(() =>
        {
            try { parsed = Expression.Parse(text); }
            catch (Exception e) { caught = e; }
        }, stackBytes);
        thread.Start();
        thread.Join();
        // either it fits in the stack and parses, or it is refused: the process lives on either way
        if (caught is not null)
            Assert.Contains("nests deeper than", Assert.IsType<ExpressionException>(caught).Message);
        else Assert.Equal(["x"], parsed!.Variables);
    }

    // parentheses nest through five parser frames a level, more than 256 KB holds at 1,999 levels however the JIT
    // compiles them (a chain of minus signs, one frame a level, fits once the parser runs optimized code)
    [Fact]
    public void OnASmallStack_NestingIsRefusedBeforeTheLimit()
    {
        string text = new string('(', 1999) + "x" + new string(')', 1999);
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try { Expression.Parse(text); }
            catch (Exception e) { caught = e; }
        }, 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.Matches(@"nests deeper than \d+ levels", Assert.IsType<ExpressionException>(caught).Message);
    }

    [Fact]
    public void ManyDistinctVariables_ParseInLinearTime()
    {
        string text = string.Join("+", Enumerable.Range(0, 100_000).Select(i => $"v{i}"));
        var clock = Stopwatch.StartNew();
        var e = Expression.Parse(text);
        Assert.Equal(100_000, e.Variables.Count);
        Assert.Equal("v99999", e.Variables[^1]);
        Assert.True(clock.Elapsed.TotalSeconds < 2, $"{clock.Elapsed.TotalSeconds:0.00} s for 100,000 variables");
    }
}
