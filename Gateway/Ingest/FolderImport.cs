using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Pacs.Gateway.DicomWeb;
using Pacs.Gateway.Storage;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// Bulk import of folders of DICOM files (a CD with its DICOMDIR, another archive's export, a zip of either; issue
/// 16, <c>./pacs import</c>): what <see cref="ImportCandidates.Walk"/> finds under the given paths (files, recursively;
/// the entries of zip archives, streamed one at a time; for a folder with a DICOMDIR, the files it names) goes through
/// the ingest funnel (<see cref="IngestService.StoreAsync"/>, as C-STORE and STOW do), several at once. The funnel
/// directly rather than STOW: it tells a stored instance from one already stored (Duplicate, which a STOW response
/// cannot say) and why one was refused, and the files are read where they lie. Files without the Part 10 "DICM"
/// prefix (PS3.10 7.1) and DICOMDIRs are skipped and listed; a zip entry longer than the instance size limit
/// (Pacs:DicomWeb:MaxStowInstanceBytes, whatever its header claims: zip bombs) is refused. Resumable: the files and
/// entries finished are appended to a checkpoint under the storage root (<c>.import/</c>, one file per set of paths)
/// and a rerun of the same paths skips them; a file sent again is answered Duplicate anyway. One import at a time per
/// gateway.
/// </summary>
internal sealed partial class FolderImport(IngestService ingest, FileBlobStore blobs, IOptions<DicomWebOptions> limits,
    IHostApplicationLifetime lifetime, ILogger<FolderImport> logger)
{
    internal const int MaxListed = 100;

    // PS3.10 7.1: the 128-byte preamble, then "DICM".
    private const int PrefixLength = 132;

    // Entries of one zip archive sent one after the other, on one opening of the archive.
    private const int EntriesPerOpening = 64;

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

        // Work units: a file, or up to EntriesPerOpening consecutive entries of one zip archive (read in turn from
        // one opening of it: entries of a deflated archive are streams, one at a time).
        var work = new List<List<ImportCandidate>>();
        foreach (var candidate in paths.SelectMany(ImportCandidates.Walk))
        {
            Interlocked.Increment(ref _files);
            if (finished.Contains(candidate.CheckpointLine))
            {
                Interlocked.Increment(ref _skipped);
            }
            else if (candidate.EntryIndex is not null && work.Count > 0 && work[^1] is [{ EntryIndex: not null } first, ..] unit
                && first.File.FullName == candidate.File.FullName && unit.Count < EntriesPerOpening)
            {
                unit.Add(candidate);
            }
            else
            {
                work.Add([candidate]);
            }
        }

        LogStarted(logger, _files, _skipped);
        var writeLock = new Lock();
        await using var checkpoint = new StreamWriter(new FileStream(checkpointPath, FileMode.Append, FileAccess.Write, FileShare.Read));
        void Done(ImportCandidate candidate, bool final)
        {
            Interlocked.Increment(ref _done);
            if (final)
            {
                lock (writeLock)
                {
                    checkpoint.WriteLine(candidate.CheckpointLine);
                    checkpoint.Flush();
                }
            }
        }

        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (unit, token) =>
            {
                if (unit[0].EntryIndex is null)
                {
                    Done(unit[0], await ImportFileAsync(unit[0], source, token).ConfigureAwait(false));
                    return;
                }

                await using var file = new FileStream(unit[0].File.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
                using var archive = new ZipArchive(file, ZipArchiveMode.Read);
                foreach (var entry in unit)
                {
                    Done(entry, await ImportEntryAsync(entry, archive.Entries[entry.EntryIndex!.Value], source, token).ConfigureAwait(false));
                }
            }).ConfigureAwait(false);
        LogFinished(logger, _stored, _duplicates, _refused, _notDicom, _job.ElapsedSeconds);
    }

    /// <summary>Imports one file; true when its outcome is final (a rerun need not send it again).</summary>
    private async Task<bool> ImportFileAsync(ImportCandidate candidate, string source, CancellationToken cancellationToken)
    {
        if (candidate.Missing is { } missing)
        {
            // Not final: the file may be there on the next run.
            Refuse(candidate.Path, "Missing", missing);
            return false;
        }

        var file = candidate.File;
        await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 128 * 1024, useAsync: true);
        var head = new byte[Math.Min(1024, file.Length)];
        var n = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (NotDicomReason(head.AsSpan(0, n)) is { } reason)
        {
            NotDicom(candidate.Path, IsZipHead(head.AsSpan(0, n)) && candidate.EntryIndex is null && file.Extension.Equals(".zip", StringComparison.OrdinalIgnoreCase)
                ? "A zip archive that cannot be read" : reason);
            return true;
        }

        stream.Position = 0;
        var result = await ingest.StoreAsync(new IngestRequest { Source = source }, stream, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _bytes, file.Length);
        return Account(candidate.Path, result);
    }

    /// <summary>
    /// Imports one zip entry, streamed from the archive (memory bounded whatever its size); true when its outcome is
    /// final. Its uncompressed bytes are counted as they come: past the instance size limit it is refused.
    /// </summary>
    private async Task<bool> ImportEntryAsync(ImportCandidate candidate, ZipArchiveEntry entry, string source, CancellationToken cancellationToken)
    {
        var limit = limits.Value.MaxStowInstanceBytes;
        if (entry.Length > limit)
        {
            Refuse(candidate.Path, "TooLarge", $"Larger than the instance size limit ({limit} bytes, Pacs:DicomWeb:MaxStowInstanceBytes)");
            return true;
        }

        Stream raw;
        try
        {
            raw = await entry.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            Refuse(candidate.Path, "CorruptZipEntry", $"The zip entry cannot be read: {e.Message}");
            return true;
        }

        await using (raw.ConfigureAwait(false))
        {
            var limited = new SizeLimitedStream(raw, limit);
            var head = new byte[1024];
            int n;
            try
            {
                n = await limited.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                Refuse(candidate.Path, "CorruptZipEntry", $"The zip entry cannot be read: {e.Message}");
                return true;
            }

            if (NotDicomReason(head.AsSpan(0, n)) is { } reason)
            {
                NotDicom(candidate.Path, reason);
                return true;
            }

            var result = await ingest.StoreAsync(new IngestRequest { Source = source }, new PrefixedStream(head.AsMemory(0, n), limited), cancellationToken)
                .ConfigureAwait(false);
            Interlocked.Add(ref _bytes, limited.Position);
            if (limited.Exceeded)
            {
                Refuse(candidate.Path, "TooLarge", $"Larger than the instance size limit ({limit} bytes, Pacs:DicomWeb:MaxStowInstanceBytes)");
                return true;
            }

            if (result.Status == IngestStatus.Aborted && !cancellationToken.IsCancellationRequested)
            {
                // The source is a local archive, not a sender that went away: its data is corrupt (CRC, deflate).
                Refuse(candidate.Path, "CorruptZipEntry", "The zip entry cannot be read to its end (corrupt archive)");
                return true;
            }

            return Account(candidate.Path, result);
        }
    }

    /// <summary>Counts the funnel's outcome; true when it is final (storage or database unavailable, or cut short: a rerun tries again).</summary>
    private bool Account(string path, IngestResult result)
    {
        switch (result.Status)
        {
            case IngestStatus.Stored or IngestStatus.Replaced or IngestStatus.Conflict:
                Interlocked.Increment(ref _stored);
                return true;
            case IngestStatus.Duplicate:
                Interlocked.Increment(ref _duplicates);
                return true;
            default:
                Refuse(path, result.Status.ToString(), result.ErrorComment is { Length: > 0 } comment ? $"{result.Status}: {comment}" : result.Status.ToString());
                return result.Status is not (IngestStatus.OutOfResources or IngestStatus.Aborted);
        }
    }

    private void Refuse(string path, string kind, string why)
    {
        Interlocked.Increment(ref _refused);
        lock (_lock)
        {
            _byReason[kind] = _byReason.GetValueOrDefault(kind) + 1;
        }

        List(_refusedFiles, new ImportedFile(path, why));
    }

    private void NotDicom(string path, string reason)
    {
        Interlocked.Increment(ref _notDicom);
        List(_notDicomFiles, new ImportedFile(path, reason));
    }

    private static bool IsZipHead(ReadOnlySpan<byte> head) => head.Length >= 4 && head[..4].SequenceEqual("PK\u0003\u0004"u8);

    /// <summary>Why a file is not a DICOM instance to store, from its first bytes (PS3.10 7.1), or null.</summary>
    internal static string? NotDicomReason(ReadOnlySpan<byte> head)
    {
        var dicm = "DICM"u8;
        var part10 = (head.Length >= PrefixLength && head[128..PrefixLength].SequenceEqual(dicm)) || (head.Length >= 4 && head[..4].SequenceEqual(dicm));
        if (!part10)
        {
            return IsZipHead(head)
                ? "A zip archive not named *.zip (or inside a zip): rename or unpack it"
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
