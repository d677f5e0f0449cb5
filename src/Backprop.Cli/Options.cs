namespace Backprop.Cli;

/// <summary>Bad command-line input: printed as one line on stderr, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A command's arguments: positionals, and options that are flags or take one value.</summary>
public sealed class Options
{
    private readonly Dictionary<string, List<string>> _values = new();
    private readonly HashSet<string> _flags = new();

    /// <summary>The arguments that are not options, in order.</summary>
    public List<string> Positionals { get; } = [];

    /// <summary>Parses <paramref name="args"/> against the options the command knows; anything else is a usage error.</summary>
    public static Options Parse(string command, IEnumerable<string> args, string[] valueOptions, string[] flagOptions)
    {
        var result = new Options();
        using var e = args.GetEnumerator();
        bool optionsEnded = false;
        while (e.MoveNext())
        {
            string arg = e.Current;
            // "--" ends the options, so an expression may start with "--" (as in: grad --at x=1 -- --x)
            if (arg == "--" && !optionsEnded) { optionsEnded = true; continue; }
            if (optionsEnded || !arg.StartsWith("--", StringComparison.Ordinal))
            {
                result.Positionals.Add(arg);
                continue;
            }
            string name = arg, inline = "";
            int eq = arg.IndexOf('=');
            if (eq > 0) { name = arg[..eq]; inline = arg[(eq + 1)..]; }
            if (flagOptions.Contains(name) && eq < 0) { result._flags.Add(name); continue; }
            if (!valueOptions.Contains(name))
                throw new UsageException($"'{command}' has no option '{name}' (run 'backprop {command} --help')");
            if (eq < 0)
            {
                if (!e.MoveNext()) throw new UsageException($"option '{name}' needs a value");
                inline = e.Current;
            }
            if (!result._values.TryGetValue(name, out var list)) result._values[name] = list = [];
            list.Add(inline);
        }
        return result;
    }

    /// <summary>True when the flag was given.</summary>
    public bool Has(string flag) => _flags.Contains(flag);

    /// <summary>The last value given for an option, or null.</summary>
    public string? Get(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

    /// <summary>Every value given for an option (it may be repeated).</summary>
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var list) ? list : [];
}
