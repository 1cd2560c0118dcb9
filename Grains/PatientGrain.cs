using Pacs.Index.Write;

namespace Pacs.Grains;

/// <summary>
/// A patient (key: <see cref="IPatientGrain.KeyFor"/>): demographics, studies and recorded conflicts, as the index
/// holds them. The grain keeps no state of its own: each study batch upserts the patient row (first committed values
/// win, empty ones are filled in) and records any differing value as a conflict in the same transaction
/// (StudyIndex.PatientConflicts), so a conflict is never lost between an acknowledgement and a later notification,
/// and ingest pays no extra grain call or state write per study. Operations on a whole patient (corrections, merges)
/// belong here when they come.
/// </summary>
[GrainType("patient")]
internal sealed class PatientGrain(StudyIndex index) : Grain, IPatientGrain
{
    public async Task<PatientSummary> GetSummaryAsync()
    {
        var (issuerOfPatientId, patientId) = IPatientGrain.ParseKey(this.GetPrimaryKeyString());
        try
        {
            return await index.LoadPatientSummaryAsync(patientId, issuerOfPatientId, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ArchiveIndexException($"Index unavailable: {e.Message}");
        }
    }
}
