using System.Buffers;
using System.Runtime.CompilerServices;

namespace Pacs.Dicom.Json;

/// <summary>
/// The output of <see cref="DicomJsonMetadataRewriter"/>: a growable byte buffer with the cheapest possible append.
/// A series metadata build makes about a million small writes (punctuation, keys, values), where an
/// <see cref="IBufferWriter{T}"/> call each would cost as much as the copying itself.
/// </summary>
public sealed class JsonOutputBuffer(int capacity)
{
    private byte[] _buffer = new byte[Math.Max(capacity, 256)];

    public int WrittenCount { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, WrittenCount);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Write(ReadOnlySpan<byte> bytes)
    {
        if (_buffer.Length - WrittenCount < bytes.Length)
        {
            Grow(bytes.Length);
        }

        bytes.CopyTo(_buffer.AsSpan(WrittenCount));
        WrittenCount += bytes.Length;
    }

    internal Span<byte> GetSpan(int size)
    {
        if (_buffer.Length - WrittenCount < size)
        {
            Grow(size);
        }

        return _buffer.AsSpan(WrittenCount);
    }

    internal void Advance(int count) => WrittenCount += count;

    private void Grow(int size) => Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, WrittenCount + size));
}
