using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Blake3;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.EndToEnd.Tests;

/// <summary>One synthetic instance: its identity and the exact data set bytes sent (what the blob must hold).</summary>
public sealed record SyntheticInstance(string Study, string Series, string Sop, byte[] Bytes)
{
    public const string SopClass = "1.2.840.10008.5.1.4.1.1.2"; // CT Image Storage

    /// <summary>The content hash the index holds for new instances (BLAKE3, content_hash_algorithm 'blake3').</summary>
    public byte[] Blake3 { get; } = Blake3Of(Bytes);

    public static byte[] Blake3Of(ReadOnlySpan<byte> bytes)
    {
        var hash = global::Blake3.Hasher.Hash(bytes);
        return hash.AsSpan().ToArray();
    }

    public InstanceToSend ToSend() =>
        new(SopClass, Sop, DicomTransferSyntax.ExplicitVRLittleEndian, _ => ValueTask.FromResult<Stream>(new MemoryStream(Bytes, writable: false)));
}

/// <summary>
/// The drills' workload: one large study (many series) and a few small ones, 64x64 16-bit images so the drill is about
/// the cluster, not the disk. Every drill makes fresh UIDs.
/// </summary>
public sealed class SyntheticWorkload
{
    private SyntheticWorkload(IReadOnlyList<SyntheticInstance> instances, string mainStudy)
    {
        Instances = instances;
        MainStudy = mainStudy;
    }

    public IReadOnlyList<SyntheticInstance> Instances { get; }

    /// <summary>The study all four senders push at once.</summary>
    public string MainStudy { get; }

    public IEnumerable<string> Studies => Instances.Select(i => i.Study).Distinct();

    public static SyntheticWorkload Create(string label, int mainInstances = 300, int mainSeries = 6, int otherStudies = 3, int otherInstances = 20)
    {
        var random = new Random(label.GetHashCode(StringComparison.Ordinal));
        var main = DicomUidGenerator.Generate();
        var instances = new List<SyntheticInstance>();
        AddStudy(instances, random, main, $"{label}-MAIN", mainInstances, mainSeries);
        var others = new List<SyntheticInstance>();
        for (var s = 0; s < otherStudies; s++)
        {
            AddStudy(others, random, DicomUidGenerator.Generate(), $"{label}-{s}", otherInstances, 2);
        }
        // Interleave the small studies into the big one, so every sender carries both all along.
        var step = Math.Max(1, instances.Count / Math.Max(1, others.Count));
        for (var i = 0; i < others.Count; i++)
        {
            instances.Insert(Math.Min(instances.Count, (i + 1) * step + i), others[i]);
        }

        return new SyntheticWorkload(instances, main);
    }

    private static void AddStudy(List<SyntheticInstance> into, Random random, string study, string patientId, int count, int seriesCount)
    {
        var series = Enumerable.Range(0, seriesCount).Select(_ => DicomUidGenerator.Generate()).ToArray();
        for (var n = 0; n < count; n++)
        {
            var seriesIndex = n % seriesCount;
            var ds = new DicomDataset();
            ds.SetString(DicomTag.SOPClassUID, DicomVR.UI, SyntheticInstance.SopClass);
            var sop = DicomUidGenerator.Generate();
            ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, sop);
            ds.SetString(DicomTag.StudyDate, DicomVR.DA, "20240105");
            ds.SetString(new DicomTag(0x00080030), DicomVR.TM, "101000");
            ds.SetString(DicomTag.AccessionNumber, DicomVR.SH, patientId);
            ds.SetString(DicomTag.Modality, DicomVR.CS, "CT");
            ds.SetString(DicomTag.PatientName, DicomVR.PN, "DRILL^" + patientId);
            ds.SetString(DicomTag.PatientID, DicomVR.LO, patientId);
            ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, study);
            ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, series[seriesIndex]);
            ds.SetString(DicomTag.SeriesNumber, DicomVR.IS, (seriesIndex + 1).ToString(CultureInfo.InvariantCulture));
            ds.SetString(DicomTag.InstanceNumber, DicomVR.IS, (n / seriesCount + 1).ToString(CultureInfo.InvariantCulture));
            ds.SetUInt16(new DicomTag(0x00280002), DicomVR.US, 1);
            ds.SetString(new DicomTag(0x00280004), DicomVR.CS, "MONOCHROME2");
            ds.SetUInt16(DicomTag.Rows, DicomVR.US, 64);
            ds.SetUInt16(DicomTag.Columns, DicomVR.US, 64);
            ds.SetUInt16(new DicomTag(0x00280100), DicomVR.US, 16);
            ds.SetUInt16(new DicomTag(0x00280101), DicomVR.US, 12);
            ds.SetUInt16(new DicomTag(0x00280102), DicomVR.US, 11);
            ds.SetUInt16(new DicomTag(0x00280103), DicomVR.US, 0);
            var pixels = new byte[64 * 64 * 2];
            random.NextBytes(pixels);
            ds.Set(DicomTag.PixelData, DicomVR.OW, pixels);
            into.Add(new SyntheticInstance(study, series[seriesIndex], sop, DicomWriter.ToBytes(ds, DicomTransferSyntax.ExplicitVRLittleEndian)));
        }
    }
}

/// <summary>One C-STORE attempt as the sender saw it: a DIMSE status, or the exception that ended the association.</summary>
public sealed record StoreAttempt(int Sender, int Gateway, string Sop, DateTime StartedUtc, TimeSpan Duration, ushort? Status, string? Error)
{
    public bool IsSuccess => Status is { } s && new DimseStatus(s).IsSuccess;
}

/// <summary>
/// Four senders, each behaving like a modality: C-STORE with our DicomClient (so every status is known exactly), retry
/// an instance that failed or whose association died, and connect to the other gateway when one is gone.
/// </summary>
public sealed class ClusterIngestRun
{
    private readonly int[] _ports;
    private readonly SyntheticWorkload _workload;
    private readonly ConcurrentQueue<StoreAttempt> _attempts = new();
    private readonly ConcurrentDictionary<string, DateTime> _acknowledged = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task[] _senders = [];

    public ClusterIngestRun(SyntheticWorkload workload, int[] dicomPorts, int senders = 4)
    {
        _workload = workload;
        _ports = dicomPorts;
        Senders = senders;
    }

    public int Senders { get; }
    public IReadOnlyCollection<StoreAttempt> Attempts => _attempts;

    /// <summary>SOP Instance UID -> time of its first success status.</summary>
    public IReadOnlyDictionary<string, DateTime> Acknowledged => _acknowledged;

    public void Start()
    {
        _senders = Enumerable.Range(0, Senders)
            .Select(s => Task.Run(() => SendAsync(s, _workload.Instances.Where((_, i) => i % Senders == s).ToList(), _stop.Token)))
            .ToArray();
    }

    /// <summary>Waits until <paramref name="count"/> instances are acknowledged (the moment to break something).</summary>
    public async Task WaitForAcknowledgedAsync(int count, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (_acknowledged.Count < count)
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"only {_acknowledged.Count} of {count} acknowledged within {timeout}: {Summary()}");
            }

            if (_senders.FirstOrDefault(t => t.IsFaulted) is { } failed)
            {
                await failed;
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits for every sender to finish its share; past the timeout the senders are stopped and this throws.</summary>
    public async Task CompleteAsync(TimeSpan timeout)
    {
        var all = Task.WhenAll(_senders);
        if (await Task.WhenAny(all, Task.Delay(timeout)) != all)
        {
            await _stop.CancelAsync();
            try { await all; } catch (OperationCanceledException) { }
            throw new TimeoutException($"senders did not finish within {timeout}: {Summary()}");
        }
        await all;
    }

    public string Summary()
    {
        var failures = _attempts.Where(a => !a.IsSuccess).GroupBy(a => a.Status is { } s ? $"0x{s:X4}" : a.Error!.Split(':')[0]);
        return $"{_acknowledged.Count}/{_workload.Instances.Count} acknowledged, {_attempts.Count} attempts; failures: "
            + string.Join(", ", failures.Select(g => $"{g.Key} x{g.Count()}"));
    }

    private async Task SendAsync(int sender, List<SyntheticInstance> share, CancellationToken cancellationToken)
    {
        // Senders start on different gateways: both carry the big study at once.
        var gateway = sender % _ports.Length;
        DicomClient? client = null;
        try
        {
            foreach (var instance in share)
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var started = DateTime.UtcNow;
                    var watch = Stopwatch.StartNew();
                    try
                    {
                        client ??= await ConnectAsync(_ports[gateway], sender, cancellationToken);
                        var status = await client.StoreAsync(instance.ToSend(), cancellationToken: cancellationToken);
                        _attempts.Enqueue(new StoreAttempt(sender, gateway, instance.Sop, started, watch.Elapsed, status.Code, null));
                        if (status.IsSuccess)
                        {
                            _acknowledged.TryAdd(instance.Sop, DateTime.UtcNow);
                            break;
                        }
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                    {
                        _attempts.Enqueue(new StoreAttempt(sender, gateway, instance.Sop, started, watch.Elapsed, null, $"{e.GetType().Name}: {e.Message}"));
                        if (client is not null)
                        {
                            await client.DisposeAsync();
                        }

                        client = null;
                        // A refused connection: that gateway is gone, use the other one (as a modality with two
                        // configured destinations would). An association that died mid-store: try again, same gateway.
                        if (e is SocketException || e.InnerException is SocketException)
                        {
                            gateway = (gateway + 1) % _ports.Length;
                        }
                    }
                    await Task.Delay(100, cancellationToken);
                }
            }
            if (client is not null)
            {
                await client.ReleaseAsync(cancellationToken);
            }
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static Task<DicomClient> ConnectAsync(int port, int sender, CancellationToken cancellationToken) =>
        DicomClient.ConnectAsync(new DicomClientOptions
        {
            Port = port,
            CalledAeTitle = ClusterFixture.AeTitle,
            CallingAeTitle = "DRILL" + sender.ToString(CultureInfo.InvariantCulture),
            PresentationContexts = [new PresentationContextRequest(SyntheticInstance.SopClass, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid])],
            // Bounded waits: a store that hangs is a failure of the drill, not a stuck test run.
            Association = new DicomAssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(10), DimseTimeout = TimeSpan.FromSeconds(40) },
        }, cancellationToken);
}
