using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Backprop.IO;

/// <summary>
/// Files written whole or not at all: the bytes go to a temporary file <c>NAME.PID.tmp</c> beside the target, which is
/// then renamed over it. A symbolic link is written through to its final target; a target that exists but is not a
/// regular file (a folder, a device, a pipe, a socket) is refused; the temporary file is removed on any failure, and
/// temporaries of this naming left by processes that no longer run (killed during a save) are removed first.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes the file at <paramref name="path"/> with <paramref name="write"/>, whole or not at all.
    /// </summary>
    /// <exception cref="IOException">The target is not a regular file, its folder does not exist, or writing
    /// failed.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string target = Target(path);
        RemoveStaleTemporaries(target);
        string temp = TemporaryName(target);
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Checks, without writing the target, that <see cref="Write"/> could write <paramref name="path"/>: the target
    /// is a regular file or absent, its folder exists and a file can be created in it. Throws
    /// <see cref="IOException"/> naming the problem otherwise.
    /// </summary>
    public static void CheckWritable(string path)
    {
        string target = Target(path), temp = TemporaryName(target);
        try
        {
            using (new FileStream(temp, FileMode.Create, FileAccess.Write)) { }
            File.Delete(temp);
        }
        catch (UnauthorizedAccessException)
        {
            string folder = Path.GetDirectoryName(target)!;
            throw new IOException($"cannot write '{path}': the folder '{folder}' is not writable");
        }
    }

    // The file a write to `path` replaces: the path itself, or a symbolic link's final target.
    private static string Target(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path)) throw new IOException("cannot write '': the path is empty");
        string full = Path.GetFullPath(path);
        bool isLink = new FileInfo(full).LinkTarget is not null;
        if (isLink && File.ResolveLinkTarget(full, returnFinalTarget: true) is { } linked) full = linked.FullName;
        if (Directory.Exists(full)) throw new IOException($"cannot write '{path}': it is a folder");
        if (File.Exists(full) && !IsRegularFile(full))
            throw new IOException($"cannot write '{path}': it is not a regular file (a device, pipe or socket)");
        string? folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
            throw new IOException($"cannot write '{path}': the folder '{folder}' does not exist");
        return full;
    }

    private static string TemporaryName(string target) => $"{target}.{Environment.ProcessId}.tmp";

    // A save killed between creating and renaming its temporary file leaves it behind; the next save of the same
    // target removes those whose process is gone (a running one may still be writing its own).
    private static void RemoveStaleTemporaries(string target)
    {
        string folder = Path.GetDirectoryName(target)!, prefix = Path.GetFileName(target) + ".";
        foreach (var temp in Directory.EnumerateFiles(folder, prefix + "*.tmp"))
        {
            string pid = Path.GetFileName(temp)[prefix.Length..^".tmp".Length];
            if (!int.TryParse(pid, out int id) || id <= 0 || id == Environment.ProcessId || IsRunning(id)) continue;
            try { File.Delete(temp); }
            catch (IOException) { }  // another save removing it at the same time is as good
            catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    // .NET reports devices and pipes as ordinary files, so on Linux the file type comes from statx (whose layout is
    // the same on every architecture); elsewhere anything that is not a folder counts as regular.
    private static bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux()) return true;
        var buffer = new byte[256];
        try
        {
            if (StatX(AtCurrentFolder, path, 0, StatXType, buffer) != 0) return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return true; }
        ushort mode = BitConverter.ToUInt16(buffer, 28);
        return (mode & FileTypeMask) == RegularFileType;
    }

    private const int AtCurrentFolder = -100;
    private const uint StatXType = 1;
    private const int FileTypeMask = 0xF000, RegularFileType = 0x8000;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int StatX(int folder, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask,
        byte[] buffer);
}
