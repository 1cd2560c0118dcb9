using System.Security.Cryptography;
using System.Text;
using Pacs.Gateway.Storage;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// Bulk import of folders of DICOM files (a CD with its DICOMDIR, another archive's export; issue 16,
/// <c>./pacs import</c>): every file under the given paths, recursively, goes through the ingest funnel
/// (<see cref="IngestService.StoreAsync"/>, as C-STORE and STOW do), several at once. The funnel directly rather
/// than STOW: it tells a stored instance from one already stored (Duplicate, which a STOW response cannot say) and
/// why one was refused, and the files are read where they lie. Files without the Part 10 "DICM" prefix (PS3.10 7.1)
/// and DICOMDIRs are skipped and listed. Resumable: the files finished are appended to a checkpoint under the storage
/// root (<c>.import/</c>, one file per set of paths) and a rerun of the same paths skips them; a file sent again is
/// answered Duplicate anyway. One import at a time per gateway.
/// </summary>
internal sealed partial class FolderImport(IngestService ingest, FileBlobStore blobs, IHostApplicationLifetime lifetime, ILogger<FolderImport> logger)
{
    internal const int MaxListed = 100;

    // PS3.10 7.1: the 128-byte preamble, then "DICM".
    private const int PrefixLength = 132;

    // Media Storage Directory Storage (PS3.4 Annex I), the SOP class of a DICOMDIR (PS3.3 Annex F, Basic Directory IOD).
    private static readonly byte[] DicomDirClass = "1.2.840.10008.1.3.10\0"u8.ToArray();

    private readonly Lock _lock = new();
    private readonly List<ImportedFile> _refusedFiles = [];
    private readonly List<ImportedFile> _notDicomFiles = [];
    private readonly Dictionary<string, long> _byReason = new(StringComparer.Ordinal);
    private readonly BackgroundJob _job = new("Import", "run the import again to resume.", lifetime, logger);
    private IReadOnlyList<string> _paths = [];
    private long _files, _skipped, _done, _bytes, _stored, _duplicates, _refused, _notDicom;

    internal Task Completion => _job.Completion;

    /// <summary>Starts importing <paramref name="paths"/> (absolute folders or files) unless an import is running.</summary>
    public bool TryStart(IReadOnlyList<string> paths, string user, int parallelism) =>
        _job.TryStart(
            () =>
            {
                lock (_lock)
                {
                    _refusedFiles.Clear();
                    _notDicomFiles.Clear();
                    _byReason.Clear();
                    _files = _skipped = _done = _bytes = _stored = _duplicates = _refused = _notDicom = 0;
                    _paths = paths;
                }
            },
            token => RunAsync(paths, $"import:{user}", Math.Clamp(parallelism, 1, 64), token),
            e => e is IOException or UnauthorizedAccessException or System.Security.SecurityException);

    public ImportProgress Progress()
    {
        var done = Interlocked.Read(ref _done);
        var status = _job.Status(done, Interlocked.Read(ref _files) - Interlocked.Read(ref _skipped) - done);
        lock (_lock)
        {
            return new ImportProgress(status.State, _paths, _files, _skipped, done, Interlocked.Read(ref _bytes), Interlocked.Read(ref _stored),
                Interlocked.Read(ref _duplicates), Interlocked.Read(ref _refused), Interlocked.Read(ref _notDicom), status.ElapsedSeconds,
                status.InstancesPerSecond, status.ElapsedSeconds > 0 ? Math.Round(Interlocked.Read(ref _bytes) / status.ElapsedSeconds / 1e6, 1) : 0,
                status.EtaSeconds, status.StartedAt, status.Error,
                new Dictionary<string, long>(_byReason, StringComparer.Ordinal), [.. _refusedFiles], [.. _notDicomFiles]);
        }
    }

    private async Task RunAsync(IReadOnlyList<string> paths, string source, int parallelism, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(blobs.Root, ".import");
        Directory.CreateDirectory(folder);
        var checkpointPath = Path.Combine(folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', paths))))[..32]);
        var finished = File.Exists(checkpointPath)
            ? new HashSet<string>(await File.ReadAllLinesAsync(checkpointPath, cancellationToken).ConfigureAwait(false), StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);

        var work = new List<FileInfo>();
        foreach (var file in paths.SelectMany(Walk))
        {
            Interlocked.Increment(ref _files);
            if (finished.Contains(CheckpointLine(file)))
            {
                Interlocked.Increment(ref _skipped);
            }
            else
            {
                work.Add(file);
            }
        }

        LogStarted(logger, _files, _skipped);
        var writeLock = new Lock();
        await using var checkpoint = new StreamWriter(new FileStream(checkpointPath, FileMode.Append, FileAccess.Write, FileShare.Read));
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (file, token) =>
            {
                var final = await ImportFileAsync(file, source, token).ConfigureAwait(false);
                Interlocked.Increment(ref _done);
                if (final)
                {
                    lock (writeLock)
                    {
                        checkpoint.WriteLine(CheckpointLine(file));
                        checkpoint.Flush();
                    }
                }
            }).ConfigureAwait(false);
        LogFinished(logger, _stored, _duplicates, _refused, _notDicom, _job.ElapsedSeconds);
    }

    private static string CheckpointLine(FileInfo file) =>
        $"{file.FullName}\t{file.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)}\t{file.LastWriteTimeUtc.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    private static IEnumerable<FileInfo> Walk(string path)
    {
        if (File.Exists(path))
        {
            return [new FileInfo(path)];
        }

        // Symbolic links are not followed (a link loop would never end); hidden files are files like the others.
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false };
        return new DirectoryInfo(path).EnumerateFiles("*", options).OrderBy(f => f.FullName, StringComparer.Ordinal);
    }

    /// <summary>Imports one file; true when its outcome is final (a rerun need not send it again).</summary>
    private async Task<bool> ImportFileAsync(FileInfo file, string source, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 128 * 1024, useAsync: true);
        var head = new byte[Math.Min(1024, file.Length)];
        var n = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (NotDicomReason(head.AsSpan(0, n)) is { } reason)
        {
            Interlocked.Increment(ref _notDicom);
            List(_notDicomFiles, new ImportedFile(file.FullName, reason));
            return true;
        }

        stream.Position = 0;
        var result = await ingest.StoreAsync(new IngestRequest { Source = source }, stream, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _bytes, file.Length);
        switch (result.Status)
        {
            case IngestStatus.Stored or IngestStatus.Replaced or IngestStatus.Conflict:
                Interlocked.Increment(ref _stored);
                return true;
            case IngestStatus.Duplicate:
                Interlocked.Increment(ref _duplicates);
                return true;
            default:
                Interlocked.Increment(ref _refused);
                var why = result.ErrorComment is { Length: > 0 } comment ? $"{result.Status}: {comment}" : result.Status.ToString();
                lock (_lock)
                {
                    _byReason[result.Status.ToString()] = _byReason.GetValueOrDefault(result.Status.ToString()) + 1;
                }

                List(_refusedFiles, new ImportedFile(file.FullName, why));
                // Storage or database unavailable, or cut short: a rerun tries again.
                return result.Status is not (IngestStatus.OutOfResources or IngestStatus.Aborted);
        }
    }

    /// <summary>Why a file is not a DICOM instance to store, from its first bytes (PS3.10 7.1), or null.</summary>
    internal static string? NotDicomReason(ReadOnlySpan<byte> head)
    {
        var dicm = "DICM"u8;
        var part10 = (head.Length >= PrefixLength && head[128..PrefixLength].SequenceEqual(dicm)) || (head.Length >= 4 && head[..4].SequenceEqual(dicm));
        if (!part10)
        {
            return head.Length >= 4 && head[..4].SequenceEqual("PK\u0003\u0004"u8)
                ? "A zip archive: unpack it first"
                : "Not a DICOM file (no DICM prefix, PS3.10 7.1)";
        }

        return head.IndexOf(DicomDirClass) >= 0 ? "A DICOMDIR (the media's directory, PS3.3 Annex F), not an instance" : null;
    }

    private void List(List<ImportedFile> list, ImportedFile file)
    {
        lock (_lock)
        {
            if (list.Count < MaxListed)
            {
                list.Add(file);
            }
        }
    }

    [LoggerMessage(EventId = 3211, Level = LogLevel.Information, Message = "Import: {Files} file(s), {Skipped} finished by an earlier run")]
    private static partial void LogStarted(ILogger logger, long files, long skipped);

    [LoggerMessage(EventId = 3212, Level = LogLevel.Information, Message = "Import done: {Stored} stored, {Duplicates} already stored, {Refused} refused, {NotDicom} not DICOM, in {Seconds:F1} s")]
    private static partial void LogFinished(ILogger logger, long stored, long duplicates, long refused, long notDicom, double seconds);

}
