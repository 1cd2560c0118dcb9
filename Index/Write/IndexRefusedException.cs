using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom.Query;
using Pacs.Grains;

namespace Pacs.Index.Write;

/// <summary>
/// Instances of a batch the index refused: their blob intent had expired (the reconciler may have deleted the
/// blob), or their SOP Instance UID is stored under another study.
/// </summary>
public sealed class IndexRefusedException(IReadOnlyDictionary<string, string> refusedSopInstanceUids)
    : Exception($"{refusedSopInstanceUids.Count} instance(s) refused by the index.")
{
    public IReadOnlyDictionary<string, string> Refused { get; } = refusedSopInstanceUids;
}
