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
                throw new UsageException($"'{command}' has no option '{Cli.Clip(name)}'" +
                    $"{Suggestion(name, valueOptions.Concat(flagOptions))} (run 'backprop {command} --help')");
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

    /// <summary>
    /// "; did you mean 'x'?" for the known name nearest <paramref name="typed"/>, when it is within two edits (one for
    /// names of up to four characters); else empty.
    /// </summary>
    internal static string Suggestion(string typed, IEnumerable<string> known)
    {
        var nearest = known.Select(k => (Name: k, Distance: EditDistance(typed, k))).OrderBy(p => p.Distance)
            .FirstOrDefault();
        int allowed = typed.TrimStart('-').Length <= 4 ? 1 : 2;
        return nearest.Name is not null && nearest.Distance <= allowed ? $"; did you mean '{nearest.Name}'?" : "";
    }

    // Levenshtein distance, with a swap of two neighbours counting as one edit (as typing slips do)
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    /// <summary>True when the flag was given.</summary>
    public bool Has(string flag) => _flags.Contains(flag);

    /// <summary>The last value given for an option, or null.</summary>
    public string? Get(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

    /// <summary>Every value given for an option (it may be repeated).</summary>
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var list) ? list : [];
}
