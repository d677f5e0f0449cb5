namespace Backprop.Tests.Cli;

/// <summary>Help and usage errors as .NET users expect them: per-command help, suggestions, errors on stderr.</summary>
public sealed class HelpTests
{
    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Backprop.Cli.Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("grad", "-h", "backprop grad \"<expression>\"", "backprop train")]
    [InlineData("grad", "--help", "expressions: numbers", "backprop demo")]
    [InlineData("train", "-?", "backprop train names", "backprop grad")]
    [InlineData("demo", "--help", "backprop demo [N ...]", "backprop train")]
    public void A_help_flag_after_a_command_prints_that_commands_usage(string command, string flag, string shown,
        string notShown)
    {
        var (code, stdout, stderr) = Run(command, flag);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains(shown, stdout);
        Assert.DoesNotContain(notShown, stdout);
    }

    [Fact]
    public void Help_with_a_command_prints_that_commands_usage_and_without_one_all_of_them()
    {
        var (code, stdout, _) = Run("help", "train");
        Assert.Equal(0, code);
        Assert.Contains("--ranks N", stdout);
        Assert.DoesNotContain("backprop grad", stdout);
        (code, stdout, _) = Run("--help");
        Assert.Equal(0, code);
        foreach (var command in new[] { "backprop demo", "backprop grad", "backprop train" })
            Assert.Contains(command, stdout);
    }

    [Fact]
    public void No_arguments_is_a_usage_error_with_the_usage_on_stderr()
    {
        var (code, stdout, stderr) = Run();
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("usage:", stderr);
    }

    [Theory]
    [InlineData("'train' has no option '--epocs'; did you mean '--epochs'?", "train", "spiral", "--epocs", "3")]
    [InlineData("'grad' has no option '--expalin'; did you mean '--explain'?", "grad", "x", "--at", "x=1", "--expalin")]
    [InlineData("unknown command 'gard'; did you mean 'grad'?", "gard", "x")]
    [InlineData("unknown command 'trian'; did you mean 'train'?", "trian", "spiral")]
    public void A_typo_gets_a_suggestion(string message, params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains(message, stderr);
    }

    [Theory]
    [InlineData("train", "spiral", "--zzzzzz", "1")]
    [InlineData("fit", "spiral")]
    public void A_name_far_from_every_known_one_gets_no_suggestion(params string[] args)
    {
        var (code, _, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.DoesNotContain("did you mean", stderr);
    }

    [Fact]
    public void An_expression_that_looks_like_a_flag_goes_after_the_double_dash()
    {
        var (code, stdout, _) = Run("grad", "--at", "h=2", "--", "-h");
        Assert.Equal(0, code);
        Assert.Contains("df/dh  -1", stdout);
    }

    // the shell's completion script (dotnet-suggest) asks with the line typed so far and the cursor's position
    [Theory]
    [InlineData("backprop ", "demo\ngrad\nhelp\ntrain\n")]
    [InlineData("backprop train --ep", "--epochs\n")]
    [InlineData("backprop train sp", "spiral\n")]
    [InlineData("backprop train names --model t", "transformer\n")]
    [InlineData("backprop grad x --ex", "--explain\n")]
    public void The_completion_directive_lists_what_may_come_next(string line, string completions)
    {
        var (code, stdout, stderr) = Run($"[suggest:{line.Length}]", line);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains(completions, stdout.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void An_option_without_its_value_is_a_usage_error_naming_it()
    {
        var (code, stdout, stderr) = Run("grad", "x", "--at");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("backprop: error: option '--at' needs a value\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_one_value_option_given_twice_is_a_usage_error_naming_it()
    {
        var (code, stdout, stderr) = Run("train", "spiral", "--epochs", "2", "--epochs=3");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("backprop: error: option '--epochs' is given 2 times; it takes one value\n",
            stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void An_unknown_option_before_the_expression_is_named_not_taken_for_the_expression()
    {
        var (code, _, stderr) = Run("grad", "--expalin", "x", "--at", "x=1");
        Assert.Equal(2, code);
        Assert.Contains("'grad' has no option '--expalin'; did you mean '--explain'?", stderr);
    }
}
