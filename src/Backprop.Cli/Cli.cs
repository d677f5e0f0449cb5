using System.CommandLine;

namespace Backprop.Cli;

/// <summary>
/// The <c>backprop</c> command: parses with System.CommandLine, runs a subcommand, turns bad input into one line.
/// </summary>
public static class Cli
{
    /// <summary>Exit code for bad input (usage, expression or file errors).</summary>
    public const int UsageError = 2;

    private const string Header = "backprop: gradients by backpropagation, from the command line";

    private const string DemoUsage = """
          backprop demo [N ...] [--list] [--out DIR]   the CS231n notes' examples, step by step
                        [--html DIR]                   (N: only those sections; --list: the sections;
                                                       --out: each example's circuit diagram as SVG;
                                                       --html: each example as a page to play with)
        """;

    private const string GradUsage = """
          backprop grad "<expression>" --at x=3,y=-4   value and gradient of an expression
                        [--json]                       one JSON object
                        [--svg FILE] [--dot FILE]      the circuit diagram as SVG or Graphviz DOT
                        [--html FILE]                  a page to move the inputs and watch the gradients
                        [--code]                       the staged forward and backward pass as C#
                        [--explain]                    what each gate did to the gradient
                        [--digits N]                   significant digits on the diagram (default 4)
        """;

    private const string TrainUsage = """
          backprop train <spiral|moons|circles|digits>  train a classifier, report loss and accuracy
          backprop train names                          a character-level language model; samples new names
                        [--model NAME]                 softmax, svm, mlp (default for digits), convnet (digits);
                                                       lstm (default for names), transformer (names)
                        [--examples N]                 names: use N of the 32,033 names (a tenth held out)
                        [--epochs N] [--lr X]          epochs (steps for full-batch sets), learning rate
                        [--batch-size N] [--seed S]    examples per step, seed of data, split and weights
                        [--json]                       one JSON object
                        [--save FILE.safetensors]      write the trained weights
                        [--load FILE.safetensors]      start from saved weights (--epochs 0: evaluate only)
                        [--plot FILE.svg]              loss and accuracy curves, decision regions of 2-D sets
                        [--ranks N]                    train data-parallel on N ranks under mpirun (Open MPI);
                                                       mpirun -np N backprop train ... works as well
                        [--detect-anomaly]             on a NaN or infinite gradient, name the op that made it
        """;

    private const string Expressions = """
        expressions: numbers, variables, + - * / ^, unary minus, parentheses, and
          exp log sqrt sin cos tanh sigmoid relu abs max(a,b) min(a,b)
        """;

    private static readonly Dictionary<string, string> CommandUsage = new()
    {
        ["demo"] = DemoUsage, ["grad"] = GradUsage, ["train"] = TrainUsage,
    };

    private static readonly string Usage = $"""
        {Header}

        usage:
        {DemoUsage}
        {GradUsage}
        {TrainUsage}
          backprop --help | --version
          backprop COMMAND --help                      one command's usage (also -h, -?)

        '--' ends the options: backprop grad --at x=1 -- "--x"
        {Expressions}
        """;

    // one command's usage: its lines, and for grad what an expression may hold
    private static string Help(string command) =>
        $"{Header}\n\nusage:\n{CommandUsage[command]}\n" + (command == "grad" ? $"\n{Expressions}\n" : "");

    /// <summary>Runs the command with the given arguments and returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0)
        {
            stderr.WriteLine(Usage);   // a usage error: the usage goes where errors go
            return UsageError;
        }
        var parse = CommandLine.Build(stdout, stderr).Parse(args);
        try
        {
            // help, --version and the completion directive answer whatever else the line holds
            if (CommandLine.NeedsChecking(parse)) CommandLine.CheckUsage(parse);
            return parse.Invoke(new InvocationConfiguration
            {
                Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false,
            });
        }
        catch (Exception e) when (e is UsageException or ExpressionException or IOException
                                      or UnauthorizedAccessException)
        {
            stderr.WriteLine($"backprop: error: {OneLine(e.Message)}");
            return UsageError;
        }
        catch (Exception e)
        {
            // the last resort: a bug, not bad input; files are written whole or not at all, so none is half-written
            stderr.WriteLine($"backprop: internal error ({e.GetType().Name}): {OneLine(e.Message)}; please report it");
            return InternalError;
        }
    }

    /// <summary>The usage of <paramref name="command"/> (demo, grad or train), or of them all for any other.</summary>
    internal static string HelpFor(string command) => CommandUsage.ContainsKey(command) ? Help(command) : Usage;

    /// <summary>Exit code when something failed that no input should cause (a bug): the last-resort handler.</summary>
    public const int InternalError = 70;

    /// <summary>The longest error message printed; a longer one (echoing a huge input) is cut.</summary>
    public const int MaxMessageLength = 300;

    /// <summary>A piece of the user's input quoted in a message: at most 40 characters, on one line.</summary>
    internal static string Clip(string text) => OneLine(text.Length <= 40 ? text : text[..39] + "…");

    // One line of at most MaxMessageLength characters, whatever the message echoes (line breaks, control characters).
    internal static string OneLine(string message)
    {
        var line = new string(message.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        if (line.Length <= MaxMessageLength) return line;
        int cut = char.IsHighSurrogate(line[MaxMessageLength - 2]) ? MaxMessageLength - 2 : MaxMessageLength - 1;
        return line[..cut] + "…";
    }
}
