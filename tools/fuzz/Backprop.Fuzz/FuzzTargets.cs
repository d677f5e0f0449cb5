using System.Text;
using Backprop.Cli;
using Backprop.IO;

namespace Backprop.Fuzz;

/// <summary>
/// One fuzz target per input the command reads from strangers. A target returns quietly on input it refuses in the
/// documented way; anything else escapes as an exception: a crash to AFL++, a failure to the tests that run the
/// corpus and random inputs through the same targets.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The targets by the name tools/fuzz.sh and the corpus folders use.</summary>
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["expression"] = Expression,
        ["safetensors"] = SafeTensors,
        ["at"] = Bindings,
    };

    /// <summary>
    /// The whole grad command on the text as an expression, every variable bound: exit 0, 1 or 2, never 70.
    /// </summary>
    public static void Expression(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        string at = "x=1";
        try { at = string.Join(",", Backprop.Expression.Parse(text).Variables.Select((v, i) => $"{v}={0.5 + i}")); }
        catch (ExpressionException) { }
        var stderr = new StringWriter();
        string[] args = at.Length == 0
            ? ["grad", "--code", "--explain", "--", text]
            : ["grad", "--at", at, "--code", "--explain", "--", text];
        int code = Backprop.Cli.Cli.Run(args, new StringWriter(), stderr);
        if (code is not (0 or 1 or 2)) throw new InvalidOperationException($"exit {code}: {stderr}");
        if (code == 2 && stderr.ToString().TrimEnd('\n').Contains('\n'))
            throw new InvalidOperationException($"two lines: {stderr}");
    }

    /// <summary>
    /// The reader returns tensors that cover the data section exactly, or refuses with InvalidDataException.
    /// </summary>
    public static void SafeTensors(byte[] input)
    {
        try
        {
            var (tensors, _) = SafeTensorsFormat.Read(new MemoryStream(input), "fuzz.safetensors");
            long bytes = tensors.Values.Sum(t => (long)t.Data.Length);
            ulong header = BitConverter.ToUInt64(input, 0);
            if (8 + (long)header + bytes != input.Length)
                throw new InvalidOperationException("the tensors do not cover the data section");
        }
        catch (InvalidDataException) { }
    }

    /// <summary>
    /// --at values (one option a line): finite numbers by unique name, or a UsageException of one line.
    /// </summary>
    public static void Bindings(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        try
        {
            var at = GradCommand.ParseBindings(text.Split('\n'));
            if (at.Values.Any(v => !double.IsFinite(v)))
                throw new InvalidOperationException("a non-finite value was accepted");
        }
        catch (UsageException e) when (!e.Message.Contains('\n')) { }
    }
}
