using Backprop.IO;

namespace Backprop.Cli;

/// <summary>
/// Output files of the commands: checked before any work, then written whole or not at all, each announced on stderr
/// (stdout stays the command's answer, one JSON object with --json).
/// </summary>
public static class Files
{
    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/>, whole or not at all, and says so on
    /// <paramref name="log"/>.</summary>
    public static void Write(TextWriter log, string path, string text)
    {
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });
        Announce(log, path);
    }

    /// <summary>Tells <paramref name="log"/> that <paramref name="path"/> was written.</summary>
    public static void Announce(TextWriter log, string path) => log.WriteLine($"backprop: wrote {path}");

    /// <summary>
    /// Refuses, before the command does any work, an output path given with <paramref name="option"/> that could not
    /// be written: empty, a folder or device, in a missing or read-only folder.
    /// </summary>
    public static void CheckOutput(string option, string? path)
    {
        if (path is null) return;
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{option}: the path is empty");
        try { AtomicFile.CheckWritable(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }

    /// <summary>Refuses an empty input path given with <paramref name="option"/>.</summary>
    public static void CheckInput(string option, string? path)
    {
        if (path is not null && string.IsNullOrWhiteSpace(path))
            throw new UsageException($"{option}: the path is empty");
    }
}
