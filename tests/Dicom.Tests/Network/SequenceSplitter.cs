using System.Buffers;
using Xunit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>Builds multi-segment sequences so codecs are fed bytes split at every offset.</summary>
internal static class SequenceSplitter
{
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    public static ReadOnlySequence<byte> Split(byte[] bytes, int at)
    {
        var first = new Segment(bytes.AsMemory(0, at), 0);
        var last = first.Append(bytes.AsMemory(at));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    public delegate bool TryReadFunc<T>(ref SequenceReader<byte> reader, out T value);

    /// <summary>
    /// For every split offset: a truncated prefix reports "need more" without consuming, and the whole PDU split in
    /// two segments parses to what <paramref name="check"/> expects and consumes it exactly.
    /// </summary>
    public static void AssertEverySplit<T>(byte[] bytes, TryReadFunc<T> tryRead, Action<T> check)
    {
        for (var at = 0; at <= bytes.Length; at++)
        {
            var prefix = new ReadOnlySequence<byte>(bytes.AsMemory(0, at));
            var pr = new SequenceReader<byte>(prefix);
            if (at < bytes.Length)
            {
                Assert.False(tryRead(ref pr, out _), $"prefix of {at} bytes parsed");
                Assert.Equal(0, pr.Consumed);
            }
            var reader = new SequenceReader<byte>(Split(bytes, at));
            Assert.True(tryRead(ref reader, out var value), $"split at {at} did not parse");
            Assert.Equal(bytes.Length, reader.Consumed);
            check(value);
        }
    }

    public static byte[] Write(Action<IBufferWriter<byte>> write)
    {
        var w = new ArrayBufferWriter<byte>();
        write(w);
        return w.WrittenSpan.ToArray();
    }
}
