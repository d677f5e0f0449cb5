using System.Text;
using Backprop;
using Backprop.Cli;
using Backprop.IO;
using SharpFuzz;

// One fuzz target per input the command reads from strangers. A target returns quietly on input it refuses in the
// documented way; anything else escapes as an exception, which AFL++ records as a crash.
var targets = new Dictionary<string, Action<byte[]>>
{
    ["expression"] = Targets.Expression,
    ["safetensors"] = Targets.SafeTensors,
    ["at"] = Targets.Bindings,
};
if (args.Length != 1 || !targets.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Backprop.Fuzz <{string.Join("|", targets.Keys)}>   (input on stdin, run under afl-fuzz)");
    return 2;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;

internal static class Targets
{
    // The whole grad command on the text as an expression, every variable bound: exit 0, 1 or 2, never 70.
    public static void Expression(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        string at = "x=1";
        try { at = string.Join(",", Backprop.Expression.Parse(text).Variables.Select((v, i) => $"{v}={0.5 + i}")); }
        catch (ExpressionException) { }
        var stderr = new StringWriter();
        string[] args = at.Length == 0 ? ["grad", "--code", "--explain", "--", text] : ["grad", "--at", at, "--code", "--explain", "--", text];
        int code = Cli.Run(args, new StringWriter(), stderr);
        if (code is not (0 or 1 or 2)) throw new InvalidOperationException($"exit {code}: {stderr}");
        if (code == 2 && stderr.ToString().TrimEnd('\n').Contains('\n')) throw new InvalidOperationException($"two lines: {stderr}");
    }

    // The reader either returns tensors that cover the data section exactly or refuses with InvalidDataException.
    public static void SafeTensors(byte[] input)
    {
        try
        {
            var (tensors, _) = SafeTensorsFormat.Read(new MemoryStream(input), "fuzz.safetensors");
            long bytes = tensors.Values.Sum(t => (long)t.Data.Length);
            ulong header = BitConverter.ToUInt64(input, 0);
            if (8 + (long)header + bytes != input.Length) throw new InvalidOperationException("the tensors do not cover the data section");
        }
        catch (InvalidDataException) { }
    }

    // --at values: parsed to finite numbers by unique name, or a UsageException of one line.
    public static void Bindings(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        try
        {
            var at = GradCommand.ParseBindings(text.Split('\n'));
            if (at.Values.Any(v => !double.IsFinite(v))) throw new InvalidOperationException("a non-finite value was accepted");
        }
        catch (UsageException e) when (!e.Message.Contains('\n')) { }
    }
}
