using System.Diagnostics;
using Pacs.Dicom.IO;
using Pacs.Dicom.Tests.Corpus;

namespace Pacs.Dicom.Tests.IO;

/// <summary>
/// Bounded robustness test: truncations, byte flips and forged lengths of corpus files, with a fixed seed.
/// Only <see cref="DicomFormatException"/> may escape; every parse is bounded in time and allocation.
/// </summary>
public sealed class DicomReaderFuzzTests
{
    private const int MutationsPerFile = 120;

    public static TheoryData<string> Files => CorpusFiles.Names();

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Read_MutatedCorpusFile_OnlyTypedExceptionEscapes(string name)
    {
        var original = File.ReadAllBytes(CorpusFiles.PathOf(name));
        var random = new Random(StableSeed(name));
        var clock = Stopwatch.StartNew();
        var typed = 0;
        for (var i = 0; i < MutationsPerFile; i++)
        {
            var mutated = Mutate(original, random, i);
            var before = GC.GetAllocatedBytesForCurrentThread();
            typed += TryRead(() => DicomReader.ReadFile(mutated));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            // Allocation is bounded by the input, never by a forged length.
            Assert.True(allocated < 16L * 1024 * 1024 + 8L * mutated.Length, $"{name} mutation {i}: {allocated} bytes allocated");
            if (i % 8 == 0)
            {
                await using var stream = new TrickleStream(mutated, chunk: 1 + i % 4096);
                typed += await TryReadAsync(() => DicomReader.ReadFileAsync(stream).AsTask());
            }
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{name}: {clock.Elapsed} for {MutationsPerFile} mutations");
        Assert.True(typed > 0, $"{name}: no mutation was detected as corrupt, the mutations are too weak");
    }

    [Fact]
    public void Read_DeeplyNestedSequences_TypedExceptionNotStackOverflow()
    {
        // 10,000 nested undefined-length sequences: (0008,1115) SQ, item, (0008,1115) SQ, item, ...
        var bytes = new List<byte>();
        for (var i = 0; i < 10_000; i++)
        {
            bytes.AddRange([0x08, 0x00, 0x15, 0x11, (byte)'S', (byte)'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
            bytes.AddRange([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        var e = Assert.Throws<DicomFormatException>(() => DicomReader.ReadDataset(bytes.ToArray(), DicomTransferSyntax.ExplicitVRLittleEndian));
        Assert.Contains("nested", e.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ReadAsync_ForgedHugeLengthOnStream_BoundedMemoryAndTypedException()
    {
        // (0010,4000) LT is short-length; use UT (32-bit) with a 3.9 GB length and only a few bytes behind it.
        byte[] bytes = [0x10, 0x00, 0x00, 0x40, (byte)'U', (byte)'T', 0, 0, 0x00, 0x00, 0x00, 0xF0, 1, 2, 3, 4];
        await using var stream = new TrickleStream(bytes, chunk: 3);
        var before = GC.GetAllocatedBytesForCurrentThread();
        await Assert.ThrowsAsync<DicomFormatException>(() =>
            DicomReader.ReadDatasetAsync(stream, DicomTransferSyntax.ExplicitVRLittleEndian).AsTask());
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 * 1024 * 1024);
    }

    private static int TryRead(Action read)
    {
        try
        {
            read();
            return 0;
        }
        catch (DicomFormatException)
        {
            return 1;
        }
    }

    private static async Task<int> TryReadAsync(Func<Task> read)
    {
        try
        {
            await read();
            return 0;
        }
        catch (DicomFormatException)
        {
            return 1;
        }
    }

    private static int StableSeed(string name)
    {
        var h = 20261128;
        foreach (var c in name)
        {
            h = unchecked(h * 31 + c);
        }

        return h & 0x7FFFFFFF;
    }

    private static byte[] Mutate(byte[] original, Random random, int i)
    {
        switch (i % 4)
        {
            case 0: // truncate
                return original.AsSpan(0, random.Next(original.Length)).ToArray();
            case 1: // flip a few bytes
            {
                var copy = (byte[])original.Clone();
                var flips = 1 + random.Next(8);
                for (var k = 0; k < flips; k++)
                    {
                        copy[random.Next(copy.Length)] ^= (byte)(1 + random.Next(255));
                    }

                    return copy;
            }
            case 2: // forge a 32-bit value (often a length) with a huge or odd number
            {
                var copy = (byte[])original.Clone();
                var at = random.Next(Math.Max(1, copy.Length - 4));
                uint[] forged = [0xFFFFFFFF, 0x7FFFFFFF, 0xFFFFFFF0, (uint)random.Next(), 1, 3];
                BitConverter.TryWriteBytes(copy.AsSpan(at), forged[random.Next(forged.Length)]);
                return copy;
            }
            default: // forge a 16-bit length
            {
                var copy = (byte[])original.Clone();
                var at = random.Next(Math.Max(1, copy.Length - 2));
                BitConverter.TryWriteBytes(copy.AsSpan(at), (ushort)random.Next(0x10000));
                return copy;
            }
        }
    }
}
