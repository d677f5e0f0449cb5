using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Backprop.Cli;

/// <summary>
/// The grammar of <c>backprop</c> for System.CommandLine: each command's options and arguments, their completions,
/// and the help, version and usage checks that make errors name the option and the nearest known name.
/// </summary>
internal static class CommandLine
{
    private const string Positionals = "arguments";

    /// <summary>The root command; its commands write to <paramref name="stdout"/> and <paramref name="stderr"/>.
    /// </summary>
    public static RootCommand Build(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("backprop: gradients by backpropagation, from the command line");
        foreach (var option in root.Options)
        {
            // the hand-aligned usage text of Cli, and the version as the library's assembly gives it
            if (option is System.CommandLine.Help.HelpOption) option.Action = new UsageAction(stdout);
            if (option is VersionOption) option.Action = new VersionAction(stdout);
        }

        var grad = new Command("grad", "value and gradient of an expression")
        {
            Arguments("expression", "the expression, as in \"x*y + 1\" (after '--' when it starts with '-')"),
            Values("--at", "the variables' values, as in x=3,y=-4 (may be repeated)"),
            Flag("--json", "one JSON object"),
            Value("--svg", "the circuit diagram as SVG"),
            Value("--dot", "the circuit diagram as Graphviz DOT"),
            Value("--html", "a page to move the inputs and watch the gradients"),
            Flag("--code", "the staged forward and backward pass as C#"),
            Flag("--explain", "what each gate did to the gradient"),
            Value("--digits", "significant digits on the diagram (default 4)"),
        };
        grad.SetAction(parse => GradCommand.Run(new Options(parse), stdout, stderr));

        var demo = new Command("demo", "the CS231n notes' examples, step by step")
        {
            Arguments("sections", "only these sections, by number"),
            Flag("--list", "the sections"),
            Value("--out", "a folder for each example's circuit diagram as SVG"),
            Value("--html", "a folder for each example as a page to play with"),
        };
        demo.SetAction(parse => DemoCommand.Run(new Options(parse), stdout, stderr));

        var dataset = Arguments("dataset", "the data set: " + string.Join(", ", TrainingRecipe.DatasetNames));
        dataset.CompletionSources.Add(TrainingRecipe.DatasetNames.ToArray());
        var model = Value("--model", "softmax, svm, mlp, convnet (digits); lstm, transformer (names)");
        model.CompletionSources.Add("softmax", "svm", "mlp", "convnet", "lstm", "transformer");
        var train = new Command("train", "train a classifier or a character-level language model")
        {
            dataset,
            model,
            Value("--examples", "names: use N of the 32,033 names (a tenth held out)"),
            Value("--epochs", "epochs (steps for full-batch sets)"),
            Value("--lr", "learning rate"),
            Value("--batch-size", "examples per step"),
            Value("--seed", "seed of data, split and weights"),
            Flag("--json", "one JSON object"),
            Value("--save", "write the trained weights (.safetensors)"),
            Value("--load", "start from saved weights (.safetensors; --epochs 0: evaluate only)"),
            Value("--plot", "loss and accuracy curves, decision regions of 2-D sets (.svg)"),
            Value("--ranks", "train data-parallel on N ranks under mpirun (Open MPI)"),
            Flag("--detect-anomaly", "on a NaN or infinite gradient, name the op that made it"),
        };
        train.SetAction(parse => TrainCommand.Run(new Options(parse), stdout, stderr));

        var help = new Command("help", "one command's usage, or all of them")
        {
            Arguments("command", "demo, grad or train"),
        };
        help.SetAction(parse =>
        {
            stdout.WriteLine(Cli.HelpFor(parse.GetValue<string[]>(Positionals) is [var command, ..] ? command : ""));
            return 0;
        });
        root.Add(demo);
        root.Add(grad);
        root.Add(train);
        root.Add(help);
        return root;
    }

    /// <summary>True when the line asks for a command's work, or the parser found an error in it.</summary>
    public static bool NeedsChecking(ParseResult parse) =>
        parse.Action is ParseErrorAction || parse.Action == parse.CommandResult.Command.Action;

    /// <summary>
    /// Refuses, as one line, what the grammar does not know: an unknown command or option (naming the nearest known
    /// one), an option without its value. Positionals are left to each command, whose messages name what it needs.
    /// </summary>
    public static void CheckUsage(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var tokens = parse.Tokens;
        if (command is RootCommand)
        {
            var word = tokens.FirstOrDefault(t => t.Type == TokenType.Argument)?.Value ?? "";
            var known = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
            throw new UsageException($"unknown command '{Cli.Clip(word)}'" + Options.Suggestion(word, known) +
                                     $" (known: {string.Join(", ", known.Where(c => c != "help"))}; " +
                                     "run 'backprop --help')");
        }
        for (int i = 0; i < tokens.Count && tokens[i].Type != TokenType.DoubleDash; i++)
        {
            var token = tokens[i];
            if (token.Type == TokenType.Option && TakesValue(command, token.Value) && i + 1 < tokens.Count
                && tokens[i + 1].Type == TokenType.Argument)
                i++;   // the option's value, whatever it looks like (--at x=-1)
            else if (token.Type == TokenType.Argument && token.Value.StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"'{command.Name}' has no option '{Cli.Clip(token.Value)}'" +
                    Options.Suggestion(token.Value, command.Options.Select(o => o.Name)) +
                    $" (run 'backprop {command.Name} --help')");
        }
        if (parse.Errors.FirstOrDefault() is not { } error) return;
        // the error is the option's, or its value's
        var option = error.SymbolResult as OptionResult ?? error.SymbolResult?.Parent as OptionResult;
        throw new UsageException(option?.Tokens.Count switch
        {
            0 => $"option '{option.Option.Name}' needs a value",
            > 1 => $"option '{option!.Option.Name}' is given {option.Tokens.Count} times; it takes one value",
            _ => error.Message,
        });
    }

    private static bool TakesValue(Command command, string alias) =>
        command.Options.Any(o => (o.Name == alias || o.Aliases.Contains(alias)) && o.Arity.MaximumNumberOfValues > 0);

    private static Argument<string[]> Arguments(string name, string description) =>
        new(Positionals) { HelpName = name, Description = description, Arity = ArgumentArity.ZeroOrMore };

    private static Option<string> Value(string name, string description) => new(name) { Description = description };

    private static Option<string[]> Values(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.OneOrMore };

    private static Option<bool> Flag(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.Zero };

    // -h, --help, -? (and help COMMAND): the command's usage as Cli writes it
    private sealed class UsageAction(TextWriter stdout) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parse)
        {
            stdout.WriteLine(Cli.HelpFor(parse.CommandResult.Command.Name));
            return 0;
        }
    }

    private sealed class VersionAction(TextWriter stdout) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parse)
        {
            stdout.WriteLine(typeof(Value).Assembly.GetName().Version?.ToString(3));
            return 0;
        }
    }
}
