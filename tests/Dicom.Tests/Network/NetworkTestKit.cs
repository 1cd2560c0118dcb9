using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Xunit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>Shared pieces of the network tests: dcmtk processes, free ports, corpus files, simple providers.</summary>
internal static class NetworkTestKit
{
    public const string PatientRootFind = "1.2.840.10008.5.1.4.1.2.1.1";
    public const string StudyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";
    public const string StudyRootMove = "1.2.840.10008.5.1.4.1.2.2.2";
    public const string StudyRootGet = "1.2.840.10008.5.1.4.1.2.2.3";
    public const string CTImageStorage = "1.2.840.10008.5.1.4.1.1.2";
    public const string MRImageStorage = "1.2.840.10008.5.1.4.1.1.4";

    /// <summary>The pydicom corpus the lead copied (see Corpus/README.md); CT_small, MR_small(_implicit,_bigendian) are used here.</summary>
    public static string CorpusFile(string name) => Path.Combine(AppContext.BaseDirectory, "Corpus", "test_files", name);

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pacs-net-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static DefaultAssociationPolicy Policy(IReadOnlySet<string>? calledAe = null) => new()
    {
        CalledAeTitles = calledAe,
        AcceptAnyStorage = true,
        AbstractSyntaxes = new Dictionary<string, IReadOnlyList<string>>
        {
            [CEchoRequest.VerificationSopClassUid] = DefaultAssociationPolicy.UncompressedPreference,
            [PatientRootFind] = DefaultAssociationPolicy.UncompressedPreference,
            [StudyRootFind] = DefaultAssociationPolicy.UncompressedPreference,
            [StudyRootMove] = DefaultAssociationPolicy.UncompressedPreference,
            [StudyRootGet] = DefaultAssociationPolicy.UncompressedPreference,
        },
    };

    public static DicomServer StartServer(DicomServiceProviders providers, Func<DicomServerOptions, DicomServerOptions>? configure = null, IAssociationPolicy? policy = null)
    {
        var options = new DicomServerOptions { Port = 0, Association = new DicomAssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(5), DimseTimeout = TimeSpan.FromSeconds(10) } };
        if (configure is not null)
        {
            options = configure(options);
        }

        var server = new DicomServer(options, policy ?? Policy(), providers);
        server.Start();
        return server;
    }

    public sealed record ProcessResult(int ExitCode, string Output);

    /// <summary>Runs a dcmtk tool to completion with a timeout (killed, then the test fails, if it hangs).</summary>
    public static async Task<ProcessResult> RunAsync(string tool, IEnumerable<string> args, int timeoutSeconds = 20, bool nagle = false)
    {
        using var process = Start(tool, args, out var output, nagle);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} did not finish within {timeoutSeconds}s:\n{output}");
        }
        process.WaitForExit(); // drain the output handlers
        return new ProcessResult(process.ExitCode, output.ToString());
    }

    public static Process Start(string tool, IEnumerable<string> args, out System.Text.StringBuilder output, bool nagle = false)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        // Debian's dcmtk 3.6.7 leaves Nagle's algorithm on unless TCP_NODELAY=1 is set (nagle: true leaves it on).
        if (!nagle)
        {
            psi.Environment["TCP_NODELAY"] = "1";
        }

        var sb = new System.Text.StringBuilder();
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (sb) { sb.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (sb) { sb.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = sb;
        return process;
    }

    /// <summary>A dcmtk storescp for the test's lifetime; disposing kills the process it started.</summary>
    public sealed class StoreScp : IDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _output;

        public StoreScp(string aeTitle, params string[] extra)
        {
            Port = FreePort();
            Directory = TempDir();
            _process = NetworkTestKit.Start("storescp", ["-aet", aeTitle, "-od", Directory, .. extra, Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], out _output);
            // Wait until it listens.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    using var c = new TcpClient();
                    c.Connect(IPAddress.Loopback, Port);
                    return;
                }
                catch (SocketException)
                {
                    Thread.Sleep(50);
                }
            }
            throw new InvalidOperationException("storescp did not start: " + _output);
        }

        public int Port { get; }
        public string Directory { get; }
        public string Output => _output.ToString();

        public string[] Files() => System.IO.Directory.GetFiles(Directory);

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(5000);
            _process.Dispose();
            try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
        }
    }

    public static Task<InstanceToSend> InstanceFromFileAsync(string path) => InstanceToSend.FromFileAsync(path);

    public static async Task<byte[]> DataSetBytesAsync(string path)
    {
        var instance = await InstanceFromFileAsync(path);
        await using var s = await instance.OpenDataSetAsync(CancellationToken.None);
        using var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return ms.ToArray();
    }
}

/// <summary>Records what each C-STORE delivered (the bytes, hashed) and answers success.</summary>
internal sealed class CollectingStoreProvider : ICStoreProvider
{
    /// <summary>One stored instance; <paramref name="StoredAt"/> is its <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
    public sealed record Received(CStoreRequest Request, DicomTransferSyntax TransferSyntax, byte[] Bytes, string CallingAe, long StoredAt);

    public ConcurrentQueue<Received> Instances { get; } = new();
    public ConcurrentQueue<Exception> Failures { get; } = new();
    public bool KeepBytes { get; init; } = true;
    public Func<CStoreRequest, Stream, Task>? BeforeRead { get; init; }
    public long BytesRead;

    public async ValueTask<DimseStatus> OnCStoreAsync(CStoreRequest request, Stream dataSet, DicomTransferSyntax transferSyntax, AssociationInfo association, CancellationToken cancellationToken)
    {
        try
        {
            if (BeforeRead is not null)
            {
                await BeforeRead(request, dataSet);
            }

            var ms = KeepBytes ? new MemoryStream() : null;
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await dataSet.ReadAsync(buffer, cancellationToken)) > 0)
            {
                ms?.Write(buffer, 0, n);
                Interlocked.Add(ref BytesRead, n);
            }
            Instances.Enqueue(new Received(request, transferSyntax, ms?.ToArray() ?? [], association.CallingAeTitle, System.Diagnostics.Stopwatch.GetTimestamp()));
            return DimseStatus.Success;
        }
        catch (Exception ex)
        {
            Failures.Enqueue(ex);
            throw;
        }
    }
}

/// <summary>Answers C-FIND with fixed data sets; can stall after some matches to test C-CANCEL.</summary>
internal sealed class FixedFindProvider(IReadOnlyList<DicomDataset> matches, int stallAfter = int.MaxValue) : ICFindProvider
{
    public ConcurrentQueue<CFindRequest> Requests { get; } = new();
    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async IAsyncEnumerable<DicomDataset> OnCFindAsync(CFindRequest request, AssociationInfo association, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        using var reg = cancellationToken.Register(() => Cancelled.TrySetResult());
        var i = 0;
        foreach (var m in matches)
        {
            if (i++ == stallAfter)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            yield return m;
        }
    }

    public static DicomDataset Study(string patientName, string studyUid)
    {
        var ds = new DicomDataset();
        ds.SetString(new DicomTag(0x00080052), DicomVR.CS, "STUDY");
        ds.SetString(DicomTag.PatientName, DicomVR.PN, patientName);
        ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, studyUid);
        return ds;
    }
}

/// <summary>Retrieve SCP over a fixed list of instances; C-MOVE destinations from a map.</summary>
internal sealed class FixedRetrieveProvider(IReadOnlyList<InstanceToSend> instances, IReadOnlyDictionary<string, DicomPeer> destinations) : ICMoveProvider, ICGetProvider
{
    public ValueTask<DicomPeer?> ResolveDestinationAsync(string moveDestination, AssociationInfo association, CancellationToken cancellationToken) =>
        ValueTask.FromResult(destinations.GetValueOrDefault(moveDestination));

    public ValueTask<IReadOnlyList<InstanceToSend>> GetInstancesAsync(CMoveRequest request, AssociationInfo association, CancellationToken cancellationToken) =>
        ValueTask.FromResult(instances);

    public ValueTask<IReadOnlyList<InstanceToSend>> GetInstancesAsync(CGetRequest request, AssociationInfo association, CancellationToken cancellationToken) =>
        ValueTask.FromResult(instances);
}
