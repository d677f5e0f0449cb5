using System.Runtime.InteropServices;

namespace Backprop.IO;

/// <summary>
/// Tensors saved to and loaded from safetensors files (F32, F64, I64 and BOOL), on top of
/// <see cref="SafeTensorsFormat"/>: files are written whole or not at all, and hostile files are refused with an
/// <see cref="InvalidDataException"/> before anything they declare is allocated. Data is little-endian, the byte order
/// of every platform .NET runs on.
/// </summary>
public static class SafeTensors
{
    /// <summary>Writes <paramref name="tensors"/> by name to <paramref name="path"/>, with optional string metadata.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var stored = new Dictionary<string, StoredTensor>();
        foreach (var (name, tensor) in tensors)
        {
            byte[] data = tensor.DType switch
            {
                DType.Float32 => MemoryMarshal.AsBytes<float>(tensor.ToArray<float>()).ToArray(),
                DType.Float64 => MemoryMarshal.AsBytes<double>(tensor.ToArray<double>()).ToArray(),
                DType.Int64 => MemoryMarshal.AsBytes<long>(tensor.ToArray<long>()).ToArray(),
                _ => Array.ConvertAll(tensor.ToArray<bool>(), b => b ? (byte)1 : (byte)0),
            };
            stored[name] = new StoredTensor(Code(tensor.DType), Array.ConvertAll(tensor.Shape, d => (long)d), data);
        }
        SafeTensorsFormat.Write(path, stored, metadata);
    }

    /// <summary>Every tensor of the file at <paramref name="path"/> by name, as a new CPU tensor.</summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Every tensor of the file by name, and the file's metadata.</summary>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata)
    {
        var (stored, meta) = SafeTensorsFormat.Read(path);
        metadata = meta;
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, t) in stored) tensors[name] = ToTensor(Path.GetFileName(path), name, t);
        return tensors;
    }

    private static Tensor ToTensor(string where, string name, StoredTensor t)
    {
        var shape = new int[t.Shape.Length];
        for (int i = 0; i < shape.Length; i++)
            shape[i] = t.Shape[i] <= int.MaxValue ? (int)t.Shape[i]
                : throw new InvalidDataException($"{where}: tensor '{name}' has a dimension of {t.Shape[i]}, more than a tensor can hold");
        return t.DType switch
        {
            "F32" => Tensor.FromArray(MemoryMarshal.Cast<byte, float>(t.Data).ToArray(), shape),
            "F64" => Tensor.FromArray(MemoryMarshal.Cast<byte, double>(t.Data).ToArray(), shape),
            "I64" => Tensor.FromArray(MemoryMarshal.Cast<byte, long>(t.Data).ToArray(), shape),
            "BOOL" => Tensor.FromArray(Array.ConvertAll(t.Data, b => b != 0), shape),
            _ => throw new InvalidDataException(
                $"{where}: tensor '{name}' is {t.DType}; only F32, F64, I64 and BOOL tensors can be loaded"),
        };
    }

    private static string Code(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int64 => "I64",
        _ => "BOOL",
    };
}
