using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Query;

// The floor of find-1assoc (issue 17 §3): a C-FIND SCP on our Dicom/ network layer that answers every query with the
// same canned matches from memory, no database, no matching, no audit. findscu --repeat 50 against it measures what
// the client and the DIMSE layer need to carry N responses; the archive can only add to that. Usage:
//   FindFloorScp --port 11414 [--count 163] [--from DIR] [--ae FLOOR]
// --from DIR answers with the data sets of the files in DIR (e.g. findscu -X's rsp*.dcm from the archive: the very
// same bytes); else --count synthetic study-level matches of the size the harness' query gets (about 330 bytes).
var port = 11414;
var count = 163;
string? from = null;
var ae = "FLOOR";
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port": port = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--count": count = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--from": from = args[++i]; break;
        case "--ae": ae = args[++i]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
var matches = from is null ? CannedMatches.Synthetic(count, ae) : CannedMatches.FromFiles(from);
var policy = new DefaultAssociationPolicy
{
    AbstractSyntaxes = new Dictionary<string, IReadOnlyList<string>>
    {
        [DicomUids.Verification] = DefaultAssociationPolicy.UncompressedPreference,
        [QueryRetrieveSopClass.StudyRootFind] = DefaultAssociationPolicy.UncompressedPreference,
        [QueryRetrieveSopClass.PatientRootFind] = DefaultAssociationPolicy.UncompressedPreference,
    },
};
var providers = new DicomServiceProviders { Echo = DicomServiceProviders.AlwaysSuccessEcho, Find = new CannedFind(matches) };
await using var server = new DicomServer(new DicomServerOptions { Address = IPAddress.Loopback, Port = port, MaxAssociations = 16 }, policy, providers);
server.Start();
Console.WriteLine($"FindFloorScp listening on 127.0.0.1:{server.Port}, {matches.Count} matches per C-FIND");
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
try { await Task.Delay(Timeout.Infinite, stop.Token); } catch (OperationCanceledException) { }
return 0;

/// <summary>Every query gets the same matches, yielded without waiting: the DIMSE layer writes them back to back.</summary>
internal sealed class CannedFind(IReadOnlyList<DicomDataset> matches) : ICFindProvider
{
    public async IAsyncEnumerable<DicomDataset> OnCFindAsync(CFindRequest request, AssociationInfo association, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var match in matches)
        {
            yield return match;
        }
    }
}

internal static class CannedMatches
{
    private static readonly string[] Modalities = ["CT", "MR", "CR", "US", "DX", "MG", "NM", "PT"];

    /// <summary>Study-level matches with the keys the harness asks for, plus the two the archive adds (PS3.4 C.4.1.1.3.2).</summary>
    public static IReadOnlyList<DicomDataset> Synthetic(int count, string ae)
    {
        var list = new List<DicomDataset>(count);
        for (var i = 0; i < count; i++)
        {
            var ds = new DicomDataset();
            ds.SetString(DicomTag.QueryRetrieveLevel, DicomVR.CS, "STUDY");
            ds.SetString(DicomTag.RetrieveAETitle, DicomVR.AE, ae);
            ds.SetString(DicomTag.PatientName, DicomVR.PN, "SMITH^JOHN" + i.ToString(CultureInfo.InvariantCulture));
            ds.SetString(DicomTag.PatientID, DicomVR.LO, "PID" + (100000 + i).ToString(CultureInfo.InvariantCulture));
            ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.826.0.1.3680043.8.498.1" + (1000000000000 + i).ToString(CultureInfo.InvariantCulture));
            ds.SetString(DicomTag.StudyDate, DicomVR.DA, "20210315");
            ds.SetString(DicomTag.AccessionNumber, DicomVR.SH, "ACC" + (1000000 + i).ToString(CultureInfo.InvariantCulture));
            ds.SetString(DicomTag.StudyDescription, DicomVR.LO, "Synthetic study " + i.ToString(CultureInfo.InvariantCulture));
            ds.SetString(DicomTag.ModalitiesInStudy, DicomVR.CS, Modalities[i % Modalities.Length]);
            list.Add(ds);
        }
        return list;
    }

    public static IReadOnlyList<DicomDataset> FromFiles(string folder)
    {
        var list = new List<DicomDataset>();
        foreach (var path in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
        {
            list.Add(DicomReader.ReadFile(File.ReadAllBytes(path)).Dataset);
        }
        return list;
    }
}
