using System.Net;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;

// Our storage SCP writing every instance to a Part 10 file, like dcmtk's storescp: the networking layer measured
// against storescp on the same files (docs/benchmarks.md). Usage:
//   StoreScp --port 11113 --out DIR [--fsync] [--ae BENCHSCP]
var port = 11113;
var outDir = Path.Combine(Path.GetTempPath(), "pacs-storescp");
var fsync = false;
var ae = "ANY-SCP";
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port": port = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--out": outDir = args[++i]; break;
        case "--fsync": fsync = true; break;
        case "--ae": ae = args[++i]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
Directory.CreateDirectory(outDir);
var policy = new DefaultAssociationPolicy
{
    AcceptAnyStorage = true,
    AbstractSyntaxes = new Dictionary<string, IReadOnlyList<string>> { [DicomUids.Verification] = DefaultAssociationPolicy.UncompressedPreference },
};
var providers = new DicomServiceProviders { Echo = new Echo(), Store = new FileStore(outDir, fsync) };
await using var server = new DicomServer(new DicomServerOptions { Address = IPAddress.Loopback, Port = port, MaxAssociations = 64 }, policy, providers);
server.Start();
Console.WriteLine($"StoreScp listening on 127.0.0.1:{server.Port} as {ae}, writing to {outDir}{(fsync ? " with fsync" : "")}");
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
try { await Task.Delay(Timeout.Infinite, stop.Token); } catch (OperationCanceledException) { }
return 0;

internal sealed class Echo : ICEchoProvider
{
    public ValueTask<DimseStatus> OnCEchoAsync(CEchoRequest request, AssociationInfo association, CancellationToken cancellationToken) =>
        ValueTask.FromResult(DimseStatus.Success);
}

internal sealed class FileStore(string outDir, bool fsync) : ICStoreProvider
{
    public async ValueTask<DimseStatus> OnCStoreAsync(CStoreRequest request, Stream dataSet, DicomTransferSyntax transferSyntax,
        AssociationInfo association, CancellationToken cancellationToken)
    {
        var meta = DicomFile.Create(new DicomDataset(), transferSyntax, association.CallingAeTitle).FileMetaInformation;
        meta.SetString(DicomTag.MediaStorageSOPClassUID, DicomVR.UI, request.AffectedSopClassUid);
        meta.SetString(DicomTag.MediaStorageSOPInstanceUID, DicomVR.UI, request.AffectedSopInstanceUid);
        var path = Path.Combine(outDir, request.AffectedSopInstanceUid + ".dcm");
        // Network reads are awaited; file writes are synchronous (on Linux an "async" file write is a thread-pool hop).
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 18);
        try
        {
            using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            file.Write(MetaBytes(meta, transferSyntax));
            int n;
            while ((n = await dataSet.ReadAsync(buffer, cancellationToken)) > 0)
            {
                file.Write(buffer, 0, n);
            }

            if (fsync)
            {
                file.Flush(flushToDisk: true);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return DimseStatus.Success;
    }

    private static byte[] MetaBytes(DicomDataset meta, DicomTransferSyntax syntax)
    {
        // Preamble, DICM and the meta group, without the data set: the data set bytes are copied as received.
        var header = DicomWriter.ToFileBytes(new DicomFile(meta, new DicomDataset(), syntax));
        return syntax.IsDeflated ? header[..^2] : header; // an empty deflated data set is 2 bytes of deflate framing
    }
}
