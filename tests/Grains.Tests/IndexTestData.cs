using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Pacs.Dicom;

namespace Pacs.Grains.Tests;

/// <summary>Instance records as the ingest funnel would send them, and SQL helpers over the index.</summary>
internal static class IndexTestData
{
    public const string CtImageStorage = "1.2.840.10008.5.1.4.1.1.2";
    public const string MrImageStorage = "1.2.840.10008.5.1.4.1.1.4";

    public static string Uid() => DicomUidGenerator.Generate();

    public static InstanceRecord Record(string study, string series, string? sop = null, string modality = "CT", string sopClass = CtImageStorage,
        string content = "bytes", PatientDemographics? patient = null)
    {
        sop ??= Uid();
        var sha = SHA256.HashData(Encoding.UTF8.GetBytes(sop + "|" + content));
        return new InstanceRecord
        {
            StudyInstanceUid = study,
            SeriesInstanceUid = series,
            SopInstanceUid = sop,
            SopClassUid = sopClass,
            TransferSyntaxUid = "1.2.840.10008.1.2.1",
            BlobKey = $"{study}/{series}/{sop}.{Convert.ToHexStringLower(sha, 0, 8)}.dcm",
            BlobSize = 1234,
            ContentHash = sha,
            Patient = patient ?? new PatientDemographics { PatientId = "PID-" + study[^6..], PatientName = "Doe^John", PatientBirthDate = "19700101", PatientSex = "M" },
            Study = new StudyAttributes { StudyDate = "20240131", StudyDescription = "Chest", ReferringPhysicianName = "Müller^Hans" },
            Series = new SeriesAttributes { Modality = modality, SeriesNumber = 1 },
            InstanceNumber = 1,
            Rows = 512,
            Columns = 512,
            HeaderJson = Encoding.UTF8.GetBytes("{\"00080018\":{\"vr\":\"UI\",\"Value\":[\"" + sop + "\"]}}"),
            Source = "test",
        };
    }

    /// <summary>The ingest funnel's commit (a new blob needs no intent: 0190_blob_tombstones.sql).</summary>
#pragma warning disable IDE0060 // the connection string stays in the signature every test calls
    public static Task<CommitResult> CommitAsync(IGrainFactory grains, string connectionString, InstanceRecord record) =>
        grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(record.StudyInstanceUid)).CommitAsync(record);
#pragma warning restore IDE0060

    public static async Task ExecuteAsync(string connectionString, string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }
}
