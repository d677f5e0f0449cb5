using Backprop.Fuzz;
using SharpFuzz;

// AFL++ feeds each input on stdin; an exception escaping the target is recorded as a crash.
if (args.Length != 1 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    string names = string.Join("|", FuzzTargets.All.Keys);
    Console.Error.WriteLine($"usage: Backprop.Fuzz <{names}>   (input on stdin, run under afl-fuzz)");
    return 2;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
