using Npgsql;

namespace Pacs.Gateway.DicomWeb.Rendering;

/// <summary>Where one indexed instance's bytes are, and how they are encoded.</summary>
internal sealed record LocatedInstance(string StudyInstanceUid, string SeriesInstanceUid, string SopInstanceUid, string SopClassUid,
    string TransferSyntaxUid, string BlobKey, int? NumberOfFrames);

/// <summary>
/// Finds the instance behind a rendered/thumbnail/WADO-URI URL in the index: the instance itself, a series' middle
/// instance (by Instance Number), or a study's representative (the middle instance of its first series with images).
/// </summary>
internal sealed class InstanceLocator(NpgsqlDataSource dataSource)
{
    private const string Columns = "s.study_instance_uid, se.series_instance_uid, i.sop_instance_uid, i.sop_class_uid, i.transfer_syntax_uid, i.blob_key, i.number_of_frames";
    private const string From = " from pacs_instances i join pacs_series se on se.series_key = i.series_key join pacs_studies s on s.study_key = i.study_key";

    public Task<LocatedInstance?> FindInstanceAsync(string study, string series, string sop, CancellationToken cancellationToken) =>
        QueryAsync($"select {Columns}{From} where s.study_instance_uid = $1 and se.series_instance_uid = $2 and i.sop_instance_uid = $3",
            [study, series, sop], cancellationToken);

    /// <summary>WADO-URI names the study and series too, but the SOP Instance UID alone identifies the instance.</summary>
    public Task<LocatedInstance?> FindInstanceAsync(string sop, CancellationToken cancellationToken) =>
        QueryAsync($"select {Columns}{From} where i.sop_instance_uid = $1", [sop], cancellationToken);

    public Task<LocatedInstance?> FindSeriesRepresentativeAsync(string study, string series, CancellationToken cancellationToken) =>
        QueryAsync($"""
            select * from (
                select {Columns}, row_number() over (order by i.rows is null, i.instance_number nulls last, i.sop_instance_uid) as n,
                       count(*) over () as total
                {From} where s.study_instance_uid = $1 and se.series_instance_uid = $2) x
            where n = (total + 1) / 2
            """, [study, series], cancellationToken);

    public Task<LocatedInstance?> FindStudyRepresentativeAsync(string study, CancellationToken cancellationToken) =>
        QueryAsync($"""
            with first_series as (
                select se.series_key from pacs_series se join pacs_studies s on s.study_key = se.study_key
                where s.study_instance_uid = $1
                order by not exists (select 1 from pacs_instances i where i.series_key = se.series_key and i.rows is not null),
                         se.series_number nulls last, se.series_instance_uid
                limit 1)
            select * from (
                select {Columns}, row_number() over (order by i.rows is null, i.instance_number nulls last, i.sop_instance_uid) as n,
                       count(*) over () as total
                {From} where i.series_key = (select series_key from first_series)) x
            where n = (total + 1) / 2
            """, [study], cancellationToken);

    private async Task<LocatedInstance?> QueryAsync(string sql, string[] parameters, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return new LocatedInstance(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
            reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt32(6));
    }
}
