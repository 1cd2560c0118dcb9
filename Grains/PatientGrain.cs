using Pacs.Grains.Persistence;

namespace Pacs.Grains;

/// <summary>
/// A patient's demographics and studies (key: "patient:" + issuer + "|" + Patient ID). The first demographics seen
/// stay current; a study arriving with a different name, birth date or sex is recorded as a conflict (and audited),
/// never silently applied. The state is small: demographics, study UIDs, conflicts.
/// </summary>
[GrainType("patient")]
internal sealed class PatientGrain(
    [PersistentState("patient", Persistence.ArchiveStorageSiloBuilderExtensions.DefaultStorageName)] IPersistentState<PatientState> state,
    StudyIndex index)
    : Grain, IPatientGrain
{
    public async Task RecordStudyAsync(string studyInstanceUid, PatientDemographics demographics)
    {
        ArgumentNullException.ThrowIfNull(demographics);
        var s = state.State;
        var changed = false;
        var newConflicts = new List<DemographicsConflict>();
        if (s.Current is null)
        {
            // The index's patient row is the authority on which demographics came first (its upsert keeps the first
            // committed; study grains tell this grain after acknowledging, so calls may arrive out of order).
            s.Current = await LoadIndexedAsync(demographics) ?? demographics with { AttributesJson = [] };
            changed = true;
        }

        var current = s.Current;
        foreach (var (attribute, existing, incoming) in new[]
        {
            ("PatientName", current.PatientName, demographics.PatientName),
            ("PatientBirthDate", current.PatientBirthDate, demographics.PatientBirthDate),
            ("PatientSex", current.PatientSex, demographics.PatientSex),
        })
        {
            if (existing.Length == 0 && incoming.Length > 0)
            {
                // A value that was missing is filled in, not a conflict.
                s.Current = attribute switch
                {
                    "PatientName" => s.Current with { PatientName = incoming },
                    "PatientBirthDate" => s.Current with { PatientBirthDate = incoming },
                    _ => s.Current with { PatientSex = incoming },
                };
                changed = true;
            }
            else if (incoming.Length > 0 && !string.Equals(existing, incoming, StringComparison.Ordinal)
                && !s.Conflicts.Any(c => c.StudyInstanceUid == studyInstanceUid && c.Attribute == attribute && c.Incoming == incoming))
            {
                newConflicts.Add(new DemographicsConflict(studyInstanceUid, attribute, existing, incoming, DateTimeOffset.UtcNow));
            }
        }

        if (!s.StudyInstanceUids.Contains(studyInstanceUid))
        {
            s.StudyInstanceUids.Add(studyInstanceUid);
            changed = true;
        }

        if (newConflicts.Count > 0)
        {
            s.Conflicts.AddRange(newConflicts);
            changed = true;
        }

        if (changed)
        {
            await state.WriteStateAsync();
        }

        foreach (var conflict in newConflicts)
        {
            await AuditAsync("patient.demographics-conflict", studyInstanceUid, null, new Dictionary<string, string>
            {
                ["patient"] = this.GetPrimaryKeyString(),
                ["attribute"] = conflict.Attribute,
                ["existing"] = conflict.Existing,
                ["incoming"] = conflict.Incoming,
            }, CancellationToken.None);
        }
    }

    private async Task<PatientDemographics?> LoadIndexedAsync(PatientDemographics demographics)
    {
        try
        {
            return await index.LoadPatientAsync(demographics.PatientId, demographics.IssuerOfPatientId, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ArchiveIndexException($"Index unavailable: {e.Message}");
        }
    }

    private async Task AuditAsync(string kind, string studyInstanceUid, string? sopInstanceUid, Dictionary<string, string> detail, CancellationToken cancellationToken)
    {
        try
        {
            await index.AuditAsync(kind, studyInstanceUid, sopInstanceUid, detail, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ArchiveIndexException($"Audit write failed: {e.Message}");
        }
    }

    public Task<PatientSummary> GetSummaryAsync() => Task.FromResult(new PatientSummary(
        state.State.Current ?? new PatientDemographics(),
        [.. state.State.StudyInstanceUids],
        [.. state.State.Conflicts]));
}

/// <summary>The patient grain's persistent state (System.Text.Json in orleans_storage).</summary>
[GenerateSerializer]
[Alias("pacs.PatientState")]
public sealed class PatientState
{
    [Id(0)] public PatientDemographics? Current { get; set; }

    [Id(1)] public List<string> StudyInstanceUids { get; set; } = [];

    [Id(2)] public List<DemographicsConflict> Conflicts { get; set; } = [];
}
