using System.Buffers;
using BenchmarkDotNet.Attributes;
using System.Text.Json;
using Pacs.Dicom.IO;
using Pacs.Dicom.Json;

namespace Pacs.Dicom.Benchmarks;

/// <summary>
/// The core's costs on one 512×512 CT instance, next to the cost the archive pays anyway: writing the
/// instance's bytes to disk with an fsync. Goal: header-only parse under 1% of the fsynced write.
/// </summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    private byte[] _file = [];
    private DicomFile _parsed = null!;
    private readonly ArrayBufferWriter<byte> _output = new(600 * 1024);
    private string _path = "";
    private DicomDataset _header = null!;
    private byte[] _json = [];
    private readonly ArrayBufferWriter<byte> _jsonOutput = new(64 * 1024);
    private static readonly DicomJsonOptions JsonOptions = new() { BulkDataUriBuilder = c => "bulk/" + c.FormatPath() };

    [GlobalSetup]
    public void Setup()
    {
        _file = SyntheticCt.Create().ToBytes();
        _parsed = DicomFile.Open(_file);
        _path = Path.Combine(Path.GetTempPath(), $"pacs-bench-{Environment.ProcessId}.dcm");
        _header = DicomReader.ReadFile(_file, DicomReadOptions.HeaderOnly).Dataset;
        _json = DicomJsonWriter.ToUtf8Bytes(_header, JsonOptions);
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_path);

    [Benchmark]
    public int HeaderOnlyParse() => DicomReader.ReadFile(_file, DicomReadOptions.HeaderOnly).Dataset.Count;

    [Benchmark]
    public int HeaderOnlyParseFromStream()
    {
        using var stream = new MemoryStream(_file, writable: false);
        return DicomReader.ReadFileAsync(stream, DicomReadOptions.HeaderOnly).AsTask().GetAwaiter().GetResult().Dataset.Count;
    }

    [Benchmark]
    public int FullParse() => DicomReader.ReadFile(_file).Dataset.Count;

    [Benchmark]
    public int Part10Write()
    {
        _output.ResetWrittenCount();
        DicomWriter.WriteFile(_output, _parsed);
        return _output.WrittenCount;
    }

    /// <summary>Header to DICOM JSON (what the index stores and the metadata endpoint serves).</summary>
    [Benchmark]
    public int HeaderToJson()
    {
        _jsonOutput.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_jsonOutput);
        DicomJsonWriter.Write(writer, _header, JsonOptions);
        writer.Flush();
        return _jsonOutput.WrittenCount;
    }

    [Benchmark]
    public int JsonToDataset() => DicomJsonReader.Read(_json).Count;

    [Benchmark(Baseline = true)]
    public long WriteFileWithFsync()
    {
        using var fs = new FileStream(_path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        fs.Write(_file);
        fs.Flush(flushToDisk: true);
        return fs.Length;
    }
}
