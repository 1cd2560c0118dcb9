using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom.Query;
using Pacs.Grains;

namespace Pacs.Index.Write;

/// <summary>
/// One group-committed batch of a study: instances plus the recomputed study and series summaries.
/// <see cref="Patient"/>: the patient the study row points to (the batch's last instance's).
/// <see cref="PatientUpserts"/>: the distinct demographics of the batch that the patient row may not reflect yet, in
/// arrival order; each is upserted and compared with the row (conflicts recorded). Empty when the row is current.
/// </summary>
public sealed record StudyBatch(
    string StudyInstanceUid,
    PatientDemographics Patient,
    StudyAttributes Study,
    IReadOnlyList<string> ModalitiesInStudy,
    IReadOnlyList<string> SopClassesInStudy,
    int NumberOfSeries,
    int NumberOfInstances,
    IReadOnlyList<SeriesSummary> Series,
    IReadOnlyList<IndexedWrite> Writes,
    IReadOnlyList<PatientDemographics> PatientUpserts)
{
    /// <summary>Access groups of this batch's instances, added to the study's (never removed by a write).</summary>
    public IReadOnlyList<string> AccessGroups { get; init; } = [];
}
