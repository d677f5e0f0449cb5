using System.Runtime.InteropServices;

namespace Backprop.Cuda;

/// <summary>Finds cuBLAS by trying its versioned names in the CUDA toolkit's usual folders, then the system
/// loader.</summary>
internal static class NativeProbe
{
    private static readonly string[] s_linuxNames = ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11",
        "libcublas.so"];
    private static readonly string[] s_windowsNames = ["cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"];

    /// <summary>The folders searched, in order: CUDA_PATH, /usr/local/cuda, /usr/local/cuda-* (newest first),
    /// LD_LIBRARY_PATH.</summary>
    public static List<string> Folders()
    {
        var folders = new List<string>();
        if (Environment.GetEnvironmentVariable("CUDA_PATH") is { Length: > 0 } cudaPath)
            folders.AddRange([Path.Combine(cudaPath, "lib64"), Path.Combine(cudaPath, "bin"),
                Path.Combine(cudaPath, "bin", "x64")]);
        if (!OperatingSystem.IsWindows())
        {
            folders.Add("/usr/local/cuda/lib64");
            if (Directory.Exists("/usr/local"))
                folders.AddRange(Directory.GetDirectories("/usr/local", "cuda-*").OrderDescending()
                    .Select(d => Path.Combine(d, "lib64")));
            if (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") is { Length: > 0 } ldPath)
                folders.AddRange(ldPath.Split(':', StringSplitOptions.RemoveEmptyEntries));
        }
        return folders.Distinct().ToList();
    }

    /// <summary>A handle to cuBLAS, or 0; <paramref name="tried"/> lists every path and name attempted.</summary>
    public static nint FindCublas(out List<string> tried)
    {
        tried = [];
        var names = OperatingSystem.IsWindows() ? s_windowsNames : s_linuxNames;
        foreach (var folder in Folders())
            foreach (var name in names)
            {
                string path = Path.Combine(folder, name);
                tried.Add(path);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle)) return handle;
            }
        foreach (var name in names)
        {
            tried.Add(name + " (system loader)");
            if (NativeLibrary.TryLoad(name, out var handle)) return handle;
        }
        return 0;
    }
}
