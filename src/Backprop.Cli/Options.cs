using System.CommandLine;
using System.CommandLine.Parsing;

namespace Backprop.Cli;

/// <summary>Bad command-line input: printed as one line on stderr, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A command's arguments as System.CommandLine parsed them: positionals, flags and options' values.</summary>
public sealed class Options(ParseResult parse)
{
    /// <summary>The arguments that are not options, in order.</summary>
    public IReadOnlyList<string> Positionals { get; } = parse.GetValue<string[]>("arguments") ?? [];

    /// <summary>The command's arguments as given, after its name (a launcher passes them on).</summary>
    public IReadOnlyList<string> Given { get; } =
        parse.Tokens.SkipWhile(t => t.Type != TokenType.Command).Skip(1).Select(t => t.Value).ToList();

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
    public bool Has(string flag) => parse.GetValue<bool>(flag);

    /// <summary>The value given for an option, or null.</summary>
    public string? Get(string name) => parse.GetValue<string>(name);

    /// <summary>Every value given for an option (it may be repeated).</summary>
    public IReadOnlyList<string> All(string name) => parse.GetValue<string[]>(name) ?? [];
}
