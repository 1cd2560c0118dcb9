using BenchmarkDotNet.Attributes;
using Pacs.Dicom.IO;

namespace Pacs.Dicom.Benchmarks;

/// <summary>
/// What the ingest funnel pays to read one instance from its network stream, before and after issue 13: the header
/// parsed and the rest drained unread (before), against the header parsed and the rest walked by the parser to check
/// its declared lengths (after, DicomStreamReader). Same stream type, same buffer sizes as the funnel; no disk.
/// Run: dotnet run -c Release --project loadtests/Dicom.Benchmarks -- --filter '*IngestRead*' --job short
/// </summary>
[MemoryDiagnoser]
public class IngestReadBenchmarks
{
    private static readonly DicomReadOptions Options = DicomReadOptions.Default with { BulkDataThreshold = 64 * 1024, MaxBufferedValueLength = 1024 * 1024 };
    private byte[] _dataSet = [];
    private readonly byte[] _drainBuffer = new byte[128 * 1024];

    /// <summary>One 512×512 CT (512 KiB of pixel data), or 64 of them as frames of one instance (32 MiB).</summary>
    [Params(1, 64)]
    public int Frames { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var file = SyntheticCt.Create();
        if (Frames > 1)
        {
            var pixels = file.Dataset.TryGetElement(DicomTag.PixelData, out var e) ? e.Value.ToArray() : [];
            var all = new byte[pixels.Length * Frames];
            for (var i = 0; i < Frames; i++)
            {
                pixels.CopyTo(all, i * pixels.Length);
            }

            file.Dataset.SetString(DicomTag.NumberOfFrames, DicomVR.IS, Frames.ToString(System.Globalization.CultureInfo.InvariantCulture));
            file.Dataset.Set(DicomTag.PixelData, DicomVR.OW, all);
        }

        var bytes = file.ToBytes();
        var offset = DicomReader.ReadFile(bytes, DicomReadOptions.HeaderOnly).DatasetOffset;
        _dataSet = bytes[(int)offset..];
    }

    [Benchmark(Baseline = true)]
    public async Task<long> HeaderThenDrain()
    {
        using var stream = new MemoryStream(_dataSet, writable: false);
        var header = await DicomReader.ReadDatasetAsync(stream, DicomTransferSyntax.ExplicitVRLittleEndian, Options with { StopAtPixelData = true });
        long rest = 0;
        int n;
        while ((n = await stream.ReadAsync(_drainBuffer)) > 0)
        {
            rest += n;
        }

        return header.Dataset.Count + rest;
    }

    [Benchmark]
    public async Task<long> HeaderThenRestParsed()
    {
        using var stream = new MemoryStream(_dataSet, writable: false);
        await using var reader = new DicomStreamReader(stream, DicomTransferSyntax.ExplicitVRLittleEndian, Options);
        var header = await reader.ReadHeaderAsync();
        var rest = await reader.ReadToEndAsync();
        return header.Dataset.Count + rest.Count + (PixelDataConsistency.FindProblem(header.Dataset, rest, DicomTransferSyntax.ExplicitVRLittleEndian) is null ? 0 : 1);
    }
}
