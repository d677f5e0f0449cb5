using System.Runtime.InteropServices;

namespace Backprop.IO;

/// <summary>
/// Tensors saved to and loaded from safetensors files (F32, F64, I64 and BOOL, and the half-precision F16 and BF16
/// of published checkpoints), on top of <see cref="SafeTensorsFormat"/>: files are written whole or not at all, and
/// hostile files are refused with an <see cref="InvalidDataException"/> before anything they declare is allocated.
/// Data is little-endian, the byte order of every platform .NET runs on.
/// </summary>
public static class SafeTensors
{
    /// <summary>
    /// Writes <paramref name="tensors"/> by name to <paramref name="path"/>, with optional string metadata. Floating
    /// tensors are stored as <paramref name="floatDType"/> when given ("F16", "BF16", "F32" or "F64"; half
    /// precision rounds to nearest even through float32, as PyTorch converts), else as their own dtype.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, string? floatDType = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (floatDType is not (null or "F16" or "BF16" or "F32" or "F64"))
            throw new ArgumentException($"SafeTensors.Save: floating tensors can be stored as F16, BF16, F32 or F64, " +
                $"not '{floatDType}'");
        var stored = new Dictionary<string, StoredTensor>();
        foreach (var (name, tensor) in tensors)
        {
            string code = floatDType is not null && tensor.DType.IsFloatingPoint() ? floatDType : Code(tensor.DType);
            byte[] data = code switch
            {
                "F16" => MemoryMarshal.AsBytes<ushort>(Array.ConvertAll(tensor.ToArray<double>(),
                    v => BitConverter.HalfToUInt16Bits((Half)(float)v))).ToArray(),
                "BF16" => MemoryMarshal.AsBytes<ushort>(Array.ConvertAll(tensor.ToArray<double>(),
                    v => ToBFloat16((float)v))).ToArray(),
                "F32" when tensor.DType == DType.Float64 => OwnBytes(tensor.To(DType.Float32)),
                "F64" when tensor.DType == DType.Float32 => OwnBytes(tensor.To(DType.Float64)),
                _ => OwnBytes(tensor),
            };
            stored[name] = new StoredTensor(code, Array.ConvertAll(tensor.Shape, d => (long)d), data);
        }
        SafeTensorsFormat.Write(path, stored, metadata);
    }

    // rounds to nearest even, as PyTorch's float-to-bfloat16 conversion (NaN stays a quiet NaN)
    private static ushort ToBFloat16(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    private static byte[] OwnBytes(Tensor tensor) => tensor.DType switch
    {
        DType.Float32 => MemoryMarshal.AsBytes<float>(tensor.ToArray<float>()).ToArray(),
        DType.Float64 => MemoryMarshal.AsBytes<double>(tensor.ToArray<double>()).ToArray(),
        DType.Int64 => MemoryMarshal.AsBytes<long>(tensor.ToArray<long>()).ToArray(),
        _ => Array.ConvertAll(tensor.ToArray<bool>(), b => b ? (byte)1 : (byte)0),
    };

    /// <summary>
    /// Every tensor of the file at <paramref name="path"/> by name, as a new CPU tensor; F16 and BF16 tensors become
    /// Float32 (exactly: float32 holds every half-precision value), and loading into a module converts further.
    /// </summary>
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
                : throw new InvalidDataException($"{where}: tensor '{name}' has a dimension of {t.Shape[i]}, more " +
                    "than a tensor can hold");
        return t.DType switch
        {
            "F32" => Tensor.FromArray(MemoryMarshal.Cast<byte, float>(t.Data).ToArray(), shape),
            "F64" => Tensor.FromArray(MemoryMarshal.Cast<byte, double>(t.Data).ToArray(), shape),
            "I64" => Tensor.FromArray(MemoryMarshal.Cast<byte, long>(t.Data).ToArray(), shape),
            "BOOL" => Tensor.FromArray(Array.ConvertAll(t.Data, b => b != 0), shape),
            "F16" => Tensor.FromArray(Array.ConvertAll(MemoryMarshal.Cast<byte, ushort>(t.Data).ToArray(),
                h => (float)BitConverter.UInt16BitsToHalf(h)), shape),
            "BF16" => Tensor.FromArray(Array.ConvertAll(MemoryMarshal.Cast<byte, ushort>(t.Data).ToArray(),
                h => BitConverter.UInt32BitsToSingle((uint)h << 16)), shape),
            _ => throw new InvalidDataException(
                $"{where}: tensor '{name}' is {t.DType}; only F32, F64, F16, BF16, I64 and BOOL tensors can be loaded"),
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
