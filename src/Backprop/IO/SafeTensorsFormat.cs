using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using System.Text.Json;

namespace Backprop.IO;

/// <summary>
/// One tensor as stored in a safetensors file: its dtype code (as in <c>F32</c>), shape and raw little-endian bytes.
/// </summary>
public sealed record StoredTensor(string DType, long[] Shape, byte[] Data);

/// <summary>
/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON mapping each name to its
/// dtype, shape and data_offsets (relative to the data section), then the data section. Files are written
/// as the reference implementation writes them (tensors ordered by dtype, largest first, then by name; header
/// padded with spaces to a multiple of 8 bytes), and every read is checked before any allocation it implies.
/// </summary>
public static class SafeTensorsFormat
{
    /// <summary>The largest header accepted, as in the reference implementation (100 MB).</summary>
    public const int MaxHeaderBytes = 100_000_000;

    // Byte size of each dtype; the order ranks dtypes as the reference implementation does when writing.
    private static readonly (string code, int size)[] DTypes =
        [("BOOL", 1), ("U8", 1), ("I8", 1), ("I16", 2), ("U16", 2), ("F16", 2), ("BF16", 2),
         ("I32", 4), ("U32", 4), ("F32", 4), ("F64", 8), ("I64", 8), ("U64", 8)];

    /// <summary>Bytes per element of a dtype code, or throws naming it.</summary>
    public static int ElementSize(string dtype)
    {
        foreach (var (code, size) in DTypes) if (code == dtype) return size;
        throw new InvalidDataException($"dtype '{dtype}' is not a safetensors dtype");
    }

    /// <summary>
    /// Writes the tensors to <paramref name="path"/> through <see cref="AtomicFile"/>, so a failure never leaves half a
    /// file. Refuses a tensor named <see cref="MetadataKey"/> and names or metadata holding a lone surrogate.
    /// </summary>
    public static void Write(string path, IReadOnlyDictionary<string, StoredTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        foreach (var (name, t) in tensors)
        {
            if (name == MetadataKey)
                throw new ArgumentException(
                    $"a tensor cannot be named {MetadataKey}: the format keeps that key for metadata", nameof(tensors));
            CheckText(name, "tensor name", nameof(tensors));
            Check(name, t.DType, t.Shape, t.Data.LongLength);
        }
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            CheckText(key, "metadata key", nameof(metadata));
            CheckText(value, $"metadata value of '{Clip(key)}'", nameof(metadata));
        }
        var order = tensors.OrderByDescending(p => Rank(p.Value.DType)).ThenBy(p => p.Key, StringComparer.Ordinal)
            .ToList();

        using var headerStream = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerStream))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in order)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", t.DType);
                json.WriteStartArray("shape");
                foreach (long d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += t.Data.LongLength);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padded = (int)((headerStream.Length + 7) / 8 * 8);
        while (headerStream.Length < padded) headerStream.WriteByte((byte)' ');

        AtomicFile.Write(path, file =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            file.Write(length);
            headerStream.Position = 0;
            headerStream.CopyTo(file);
            foreach (var (_, t) in order) file.Write(t.Data);
        });
    }

    /// <summary>
    /// Reads every tensor of a safetensors file, or throws <see cref="InvalidDataException"/> naming what is wrong.
    /// </summary>
    public static (Dictionary<string, StoredTensor> tensors, Dictionary<string, string> metadata) Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read);
        return Read(file, Path.GetFileName(path));
    }

    /// <summary>
    /// Reads every tensor of a safetensors file from <paramref name="stream"/> (a stream that cannot seek, as a pipe,
    /// is read whole first), or throws <see cref="InvalidDataException"/> naming <paramref name="name"/> and what is
    /// wrong.
    /// </summary>
    public static (Dictionary<string, StoredTensor> tensors, Dictionary<string, string> metadata) Read(Stream stream,
        string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        string where = name;
        long fileLength = stream.Length - stream.Position;
        if (fileLength < 8)
            throw new InvalidDataException(
                $"{where}: {fileLength} bytes is too short for a safetensors file (the header length alone takes 8)");
        long start = stream.Position;
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException(
                $"{where}: the header declares {headerLength} bytes, more than the {MaxHeaderBytes}-byte limit");
        if ((long)headerLength > fileLength - 8)
            throw new InvalidDataException(
                $"{where}: the header declares {headerLength} bytes but only {fileLength - 8} follow the length");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataLength = fileLength - 8 - (long)headerLength;
        // JSON strings are decoded lazily and an invalid byte would surface as InvalidOperationException much later
        if (!Utf8.IsValid(header))
            throw new InvalidDataException($"{where}: the header is not valid UTF-8 (byte {Utf8Error(header)})");

        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where}: the header is not valid JSON ({e.Message})");
        }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where}: the header is not a JSON object");

        Dictionary<string, string>? metadata = null;
        var entries = new List<(string name, string dtype, long[] shape, long begin, long end)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            string key = Text(where, prop, "a key of the header");
            if (!names.Add(key))
                throw new InvalidDataException($"{where}: the header names '{Clip(key)}' twice");
            if (key == MetadataKey)
            {
                metadata = ReadMetadata(where, prop.Value);
                continue;
            }
            entries.Add(ParseEntry(where, key, prop.Value));
        }

        // The data section must be covered exactly: no overlaps, no gaps, nothing past its end.
        entries.Sort((a, b) => a.begin.CompareTo(b.begin));
        long expected = 0;
        string? previous = null;
        foreach (var e in entries)
        {
            Check(e.name, e.dtype, e.shape, e.end - e.begin, where);
            if (e.end > dataLength)
                throw new InvalidDataException(
                    $"{where}: tensor '{Clip(e.name)}' data_offsets [{e.begin}, {e.end}] run past the data " +
                    $"section ({dataLength} bytes)");
            if (e.begin < expected)
                throw new InvalidDataException(
                    $"{where}: tensors '{Clip(previous!)}' and '{Clip(e.name)}' overlap at byte {e.begin}");
            if (e.begin > expected)
                throw new InvalidDataException(
                    $"{where}: bytes {expected}..{e.begin} of the data section belong to no tensor");
            expected = e.end;
            previous = e.name;
        }
        if (expected != dataLength)
            throw new InvalidDataException(
                $"{where}: the data section has {dataLength} bytes but the tensors cover {expected}");

        var tensors = new Dictionary<string, StoredTensor>();
        foreach (var e in entries)
        {
            var data = new byte[e.end - e.begin];
            stream.Position = start + 8 + (long)headerLength + e.begin;
            stream.ReadExactly(data);
            tensors[e.name] = new StoredTensor(e.dtype, e.shape, data);
        }
        return (tensors, metadata ?? []);
    }

    /// <summary>The key under which the header holds the string-to-string metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    private static Dictionary<string, string> ReadMetadata(string where, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where}: {MetadataKey} is not an object");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in value.EnumerateObject())
        {
            string key = Text(where, m, $"a key of {MetadataKey}");
            if (m.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{where}: {MetadataKey} value '{Clip(key)}' is not a string");
            if (!metadata.TryAdd(key, Text(where, m.Value, $"{MetadataKey} value '{Clip(key)}'")))
                throw new InvalidDataException($"{where}: {MetadataKey} names '{Clip(key)}' twice");
        }
        return metadata;
    }

    // A JSON escape can still spell a lone surrogate (\ud800), which is no Unicode text; .NET refuses to decode it.
    private static string Text(string where, JsonProperty property, string field)
    {
        try { return property.Name; }
        catch (InvalidOperationException)
        {
            throw new InvalidDataException($"{where}: {field} holds an escaped lone surrogate, which is not text");
        }
    }

    private static string Text(string where, JsonElement value, string field)
    {
        try { return value.GetString()!; }
        catch (InvalidOperationException)
        {
            throw new InvalidDataException($"{where}: {field} holds an escaped lone surrogate, which is not text");
        }
    }

    private static int Utf8Error(ReadOnlySpan<byte> bytes)
    {
        Utf8.ToUtf16(bytes, new char[bytes.Length], out int read, out _, replaceInvalidSequences: false);
        return read;
    }

    // Names in messages are cut short: a hostile file's name may be megabytes long or hold line breaks.
    internal static string Clip(string text)
    {
        const int Most = 60;
        string shown = text.Length <= Most ? text : text[..Most] + "…";
        return string.Concat(shown.Select(c => char.IsControl(c) ? '?' : c));
    }

    // Text written into a header must be valid Unicode: the JSON writer would put U+FFFD for a lone surrogate.
    private static void CheckText(string text, string field, string argument)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i])) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            throw new ArgumentException(
                $"the {field} '{Clip(text)}' holds a lone surrogate at index {i}, which is not text", argument);
        }
    }

    private static (string, string, long[], long, long) ParseEntry(string where, string fullName, JsonElement v)
    {
        string name = Clip(fullName);
        if (v.ValueKind != JsonValueKind.Object
            || !v.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !v.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !v.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array
            || offsets.GetArrayLength() != 2)
            throw new InvalidDataException(
                $"{where}: tensor '{name}' needs a dtype string, a shape array and two data_offsets");
        var dims = new long[shape.GetArrayLength()];
        int i = 0;
        foreach (var d in shape.EnumerateArray())
            dims[i++] = d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out long n) && n >= 0 ? n
                : throw new InvalidDataException(
                    $"{where}: tensor '{name}' has a shape entry {Clip(d.GetRawText())} that is not a " +
                    "non-negative integer");
        long begin = Offset(offsets[0]), end = Offset(offsets[1]);
        if (end < begin)
            throw new InvalidDataException(
                $"{where}: tensor '{name}' has data_offsets [{begin}, {end}] that end before they begin");
        return (fullName, Text(where, dtype, $"the dtype of tensor '{name}'"), dims, begin, end);

        long Offset(JsonElement e) => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long o) && o >= 0 ? o
            : throw new InvalidDataException(
                $"{where}: tensor '{name}' has a data offset {Clip(e.GetRawText())} that is not a " +
                "non-negative integer");
    }

    // The byte count a shape of a dtype needs must equal what the tensor holds; overflow is an error, not a wrap.
    private static void Check(string name, string dtype, long[] shape, long bytes, string? where = null)
    {
        string prefix = where is null ? "" : where + ": ";
        name = Clip(name);
        int size;
        try { size = ElementSize(dtype); }
        catch (InvalidDataException)
        {
            throw new InvalidDataException($"{prefix}tensor '{name}' has unknown dtype '{Clip(dtype)}'");
        }
        long count = 1;
        try { foreach (long d in shape) count = checked(count * d); count = checked(count * size); }
        catch (OverflowException)
        {
            throw new InvalidDataException(
                $"{prefix}tensor '{name}' declares shape {Dims(shape)}, too large to address");
        }
        if (count != bytes)
            throw new InvalidDataException(
                $"{prefix}tensor '{name}': shape {Dims(shape)} of {dtype} needs {count} bytes but it has {bytes}");
    }

    private static string Dims(long[] shape) => Clip($"[{string.Join(", ", shape)}]");

    private static int Rank(string dtype)
    {
        for (int i = 0; i < DTypes.Length; i++) if (DTypes[i].code == dtype) return i;
        return -1;
    }
}
