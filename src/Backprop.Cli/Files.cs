namespace Backprop.Cli;

/// <summary>Writes output files whole or not at all.</summary>
public static class Files
{
    /// <summary>Writes <paramref name="text"/> to a temporary file beside <paramref name="path"/>, then renames it into place.</summary>
    public static void WriteAtomically(string path, string text) => WriteAtomically(path, temp => File.WriteAllText(temp, text));

    /// <summary>Writes <paramref name="bytes"/> to a temporary file beside <paramref name="path"/>, then renames it into place.</summary>
    public static void WriteAtomically(string path, byte[] bytes) => WriteAtomically(path, temp => File.WriteAllBytes(temp, bytes));

    private static void WriteAtomically(string path, Action<string> write)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir)) throw new IOException($"cannot write '{path}': the folder '{dir}' does not exist");
        string temp = full + $".{Environment.ProcessId}.tmp";
        try
        {
            write(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
