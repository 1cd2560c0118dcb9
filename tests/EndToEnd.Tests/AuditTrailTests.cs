using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Npgsql;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// The audit trail (issue 12) through a running archive of its own (this fixture's studies never reach the shared
/// archive whose studies other tests count): each access leaves its record with the actor, /api/audit is for
/// admins, the table refuses UPDATE and DELETE, tampering is found by the hash chain, and a clean shutdown loses nothing.
/// </summary>
[Collection(AuditArchiveCollection.Name)]
public sealed class AuditTrailTests(AuditArchiveFixture archive)
{
    private static readonly TimeSpan WriteDelay = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Qido_AsAdmin_RecordsQueryWithActorAndPatientId()
    {
        var patientId = "AUD-" + Guid.NewGuid().ToString("N")[..10];
        using (var response = await archive.Http.GetAsync($"{archive.BaseUrl}/dicom-web/studies?PatientID={patientId}"))
        {
            Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
        }

        var row = await SingleAsync("kind = 'query' AND patient_id = $1", patientId);
        Assert.Equal("admin", row.Actor);
        Assert.Equal("admin", row.Role);
        Assert.Equal("success", row.Outcome);
        Assert.NotEqual("", row.SessionId);
        Assert.Equal("127.0.0.1", row.ClientAddress);
    }

    [Fact]
    public async Task StowThenRetrieve_AsOperator_RecordsStoreAndRetrieveWithStudy()
    {
        var username = "aud-op-" + Suffix();
        var password = await archive.CreateAccountAsync(username, "operator");
        var token = await archive.AccessTokenAsync(username, password);
        var study = SyntheticStudy.Create("CT", "AUDIT^STOW", slices: 1);
        var stow = archive.Request(HttpMethod.Post, "/dicom-web/studies/" + study.StudyInstanceUid, token);
        var content = new MultipartContent("related", "stow-" + Guid.NewGuid().ToString("N"));
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        var part = new ByteArrayContent(study.Instances[0].ToBytes());
        part.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
        content.Add(part);
        stow.Content = content;
        using (var response = await archive.Anonymous.SendAsync(stow))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, $"/dicom-web/studies/{study.StudyInstanceUid}", token)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var store = await SingleAsync("kind = 'store' AND study_instance_uid = $1", study.StudyInstanceUid);
        Assert.Equal((username, "operator", "success"), (store.Actor, store.Role, store.Outcome));
        var retrieve = await SingleAsync("kind = 'retrieve' AND study_instance_uid = $1", study.StudyInstanceUid);
        Assert.Equal((username, "operator", "success"), (retrieve.Actor, retrieve.Role, retrieve.Outcome));
    }

    [Fact]
    public async Task CStoreThenCFind_RecordsCallingAePerInstanceAndPerQuery()
    {
        var study = SyntheticStudy.Create("MR", "AUDIT^DIMSE", slices: 2);
        var files = new List<string>();
        for (var i = 0; i < study.Instances.Count; i++)
        {
            var file = Path.Combine(archive.WorkDirectory, $"audit-{study.PatientId}-{i}.dcm");
            await File.WriteAllBytesAsync(file, study.Instances[i].ToBytes());
            files.Add(file);
        }

        var port = archive.DicomPort.ToString(CultureInfo.InvariantCulture);
        var (code, output) = await ChildProcess.RunAsync("storescu", ["-aet", "AUDITSCU", "-aec", ArchiveFixture.AeTitle, "127.0.0.1", port, .. files]);
        Assert.True(code == 0, output);
        (code, output) = await ChildProcess.RunAsync("findscu", ["-S", "-aet", "AUDITSCU", "-aec", ArchiveFixture.AeTitle, "127.0.0.1", port,
            "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=" + study.PatientId, "-k", "StudyInstanceUID"]);
        Assert.True(code == 0, output);

        var stores = await RowsAsync(study.Instances.Count, "kind = 'store' AND study_instance_uid = $1", study.StudyInstanceUid);
        Assert.All(stores, r => Assert.Equal(("ae:AUDITSCU", "success"), (r.Actor, r.Outcome)));
        var query = await SingleAsync("kind = 'query' AND patient_id = $1", study.PatientId);
        Assert.Equal(("ae:AUDITSCU", "success"), (query.Actor, query.Outcome));
        Assert.Contains("\"matches\": \"1\"", query.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditApi_AsDoctor_ForbiddenAndRecordedAsDenied()
    {
        var username = "aud-doc-" + Suffix();
        var password = await archive.CreateAccountAsync(username, "doctor");
        var token = await archive.AccessTokenAsync(username, password);
        foreach (var path in new[] { "/api/audit", "/api/audit/verify" })
        {
            using var response = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, path, token));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        var denied = await RowsAsync(2, "kind = 'audit.read' AND actor = $1", username);
        Assert.All(denied, r => Assert.Equal("denied", r.Outcome));
    }

    [Fact]
    public async Task AuditApi_FiltersAndPages_NewestFirstWithoutOverlap()
    {
        var patientId = "AUD-" + Guid.NewGuid().ToString("N")[..10];
        for (var i = 0; i < 5; i++)
        {
            using var response = await archive.Http.GetAsync($"{archive.BaseUrl}/dicom-web/studies?PatientID={patientId}");
            Assert.True(response.IsSuccessStatusCode);
        }

        await RowsAsync(5, "kind = 'query' AND patient_id = $1", patientId);
        var keys = new List<long>();
        string? before = null;
        for (var page = 0; page < 3; page++)
        {
            var json = await GetJsonAsync($"/api/audit?action=query&patientId={patientId}&limit=2" + (before is null ? "" : "&before=" + before));
            foreach (var item in json.GetProperty("items").EnumerateArray())
            {
                Assert.Equal(patientId, item.GetProperty("patientId").GetString());
                keys.Add(item.GetProperty("eventKey").GetInt64());
            }

            before = json.GetProperty("next").ValueKind == JsonValueKind.Null ? null : json.GetProperty("next").GetInt64().ToString(CultureInfo.InvariantCulture);
        }

        Assert.Equal(5, keys.Count);
        Assert.Equal(keys.OrderDescending(), keys);
        Assert.Equal(5, keys.Distinct().Count());
    }

    [Theory]
    [InlineData("from=yesterday")]
    [InlineData("limit=0")]
    [InlineData("limit=100000")]
    [InlineData("outcome=maybe")]
    [InlineData("before=-3")]
    [InlineData("colour=red")]
    public async Task AuditApi_BadFilter_ProblemDetails(string query)
    {
        using var response = await archive.Http.GetAsync($"{archive.BaseUrl}/api/audit?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task DicomExport_QueryAndFailedLogin_Ps315AuditMessages()
    {
        var patientId = "AUD-" + Guid.NewGuid().ToString("N")[..10];
        using (var response = await archive.Http.GetAsync($"{archive.BaseUrl}/dicom-web/studies?PatientID={patientId}"))
        {
            Assert.True(response.IsSuccessStatusCode);
        }

        var query = await SingleAsync("kind = 'query' AND patient_id = $1", patientId);
        var message = await DicomMessageAsync(query.EventKey);
        Assert.Equal("110112", message.Element("EventIdentification")!.Element("EventID")!.Attribute("csd-code")!.Value);
        Assert.Equal("0", message.Element("EventIdentification")!.Attribute("EventOutcomeIndicator")!.Value);
        var requestor = message.Elements("ActiveParticipant").Single(p => p.Attribute("UserIsRequestor")!.Value == "true");
        Assert.Equal("admin", requestor.Attribute("UserID")!.Value);
        Assert.Contains(message.Elements("ParticipantObjectIdentification"), o => o.Attribute("ParticipantObjectID")!.Value == patientId
            && o.Attribute("ParticipantObjectTypeCodeRole")!.Value == "1");

        var nobody = "aud-nobody-" + Suffix();
        var (status, _) = await archive.TokenAsync(nobody, "Not-The-Password-1");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        var failed = await SingleAsync("kind = 'login.failed' AND actor = $1", nobody);
        Assert.Contains("UnknownUser", failed.Detail, StringComparison.Ordinal);
        var login = await DicomMessageAsync(failed.EventKey);
        Assert.Equal("110114", login.Element("EventIdentification")!.Element("EventID")!.Attribute("csd-code")!.Value);
        Assert.Equal("110122", login.Element("EventIdentification")!.Element("EventTypeCode")!.Attribute("csd-code")!.Value);
        Assert.Equal("4", login.Element("EventIdentification")!.Attribute("EventOutcomeIndicator")!.Value);

        using var missing = await archive.Http.GetAsync($"{archive.BaseUrl}/api/audit/{long.MaxValue}/dicom");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    private async Task<System.Xml.Linq.XElement> DicomMessageAsync(long eventKey)
    {
        using var response = await archive.Http.GetAsync($"{archive.BaseUrl}/api/audit/{eventKey}/dicom");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
        var root = System.Xml.Linq.XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
        Assert.Equal("AuditMessage", root.Name.LocalName);
        return root;
    }

    [Fact]
    public async Task Table_UpdateAndDelete_Refused()
    {
        await using var connection = new NpgsqlConnection(archive.Database);
        await connection.OpenAsync();
        foreach (var sql in new[] { "UPDATE pacs_audit_events SET actor = 'x'", "DELETE FROM pacs_audit_events", "TRUNCATE pacs_audit_events" })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal("PC010", refused.SqlState);
        }
    }

    [Fact]
    public async Task Verify_RowEditedBehindTheTrigger_ReportsThatRowThenOkWhenRestored()
    {
        var patientId = "AUD-" + Guid.NewGuid().ToString("N")[..10];
        using (var response = await archive.Http.GetAsync($"{archive.BaseUrl}/dicom-web/studies?PatientID={patientId}"))
        {
            Assert.True(response.IsSuccessStatusCode);
        }

        var row = await SingleAsync("kind = 'query' AND patient_id = $1", patientId);
        Assert.Equal("OK", (await GetJsonAsync("/api/audit/verify")).GetProperty("status").GetString());

        // As the database superuser: the append-only trigger is switched off for the edit, as an intruder would.
        await ExecuteAsync($"ALTER TABLE pacs_audit_events DISABLE TRIGGER pacs_audit_events_append_only; UPDATE pacs_audit_events SET actor = 'someone-else' WHERE event_key = {row.EventKey}; ALTER TABLE pacs_audit_events ENABLE TRIGGER pacs_audit_events_append_only");
        try
        {
            var verify = await GetJsonAsync("/api/audit/verify");
            Assert.Equal("BROKEN", verify.GetProperty("status").GetString());
            Assert.Equal(row.EventKey, verify.GetProperty("brokenEventKey").GetInt64());
            var (code, output) = await PacsAuditVerifyAsync();
            Assert.Equal(1, code);
            Assert.Contains($"BROKEN at row {row.ChainSeq} (event_key {row.EventKey})", output, StringComparison.Ordinal);
        }
        finally
        {
            await ExecuteAsync($"ALTER TABLE pacs_audit_events DISABLE TRIGGER pacs_audit_events_append_only; UPDATE pacs_audit_events SET actor = 'admin' WHERE event_key = {row.EventKey}; ALTER TABLE pacs_audit_events ENABLE TRIGGER pacs_audit_events_append_only");
        }

        Assert.Equal("OK", (await GetJsonAsync("/api/audit/verify")).GetProperty("status").GetString());
        var (okCode, okOutput) = await PacsAuditVerifyAsync();
        Assert.True(okCode == 0, okOutput);
        Assert.StartsWith("audit: OK", okOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientAddress_FromXForwardedForOnlyBehindATrustedProxy()
    {
        // The extra gateway trusts 127.0.0.1 (the tests' "Ingress"); the fixture's gateway trusts nobody.
        using var behindProxy = await archive.StartGatewayAsync("--Pacs:Http:TrustedProxies:0", "127.0.0.1");
        var viaProxy = "aud-proxy-" + Suffix();
        var forged = "aud-forged-" + Suffix();

        await FailedLoginAsync($"http://127.0.0.1:{behindProxy.HttpPort}", viaProxy, "203.0.113.7");
        await FailedLoginAsync(archive.BaseUrl, forged, "203.0.113.8");

        Assert.Equal("203.0.113.7", (await SingleAsync("kind = 'login.failed' AND actor = $1", viaProxy)).ClientAddress);
        Assert.Equal("127.0.0.1", (await SingleAsync("kind = 'login.failed' AND actor = $1", forged)).ClientAddress);
    }

    private async Task FailedLoginAsync(string baseUrl, string username, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/auth/token")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { username, password = "Not-The-Password-1" }),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await archive.Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task CleanShutdown_EveryQueuedRecordIsWritten()
    {
        const int Requests = 60;
        var patientId = "AUD-" + Guid.NewGuid().ToString("N")[..10];
        using var gateway = await archive.StartGatewayAsync();
        var token = await archive.AccessTokenAsync("admin", ArchiveFixture.AdminPassword);
        await Parallel.ForAsync(0, Requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway.HttpPort}/dicom-web/studies?PatientID={patientId}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await archive.Anonymous.SendAsync(request, ct);
            Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
        });

        var exitCode = await gateway.StopAsync(TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, $"the gateway exited with {exitCode}:\n{gateway.Log}");
        // Counted at once, no waiting: the gateway wrote them before it exited.
        Assert.Equal(Requests, await CountAsync("kind = 'query' AND patient_id = $1", patientId));
    }

    private sealed record Row(long EventKey, long ChainSeq, string Actor, string Role, string ClientAddress, string SessionId, string Outcome, string Detail);

    private static string Suffix() => Guid.NewGuid().ToString("N")[..8];

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await archive.Http.GetAsync(archive.BaseUrl + path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private Task<(int ExitCode, string Output)> PacsAuditVerifyAsync() =>
        ChildProcess.RunAsync("env", ["PACS_DB=" + archive.Database, Path.Combine(archive.RepoRoot, "pacs"), "audit", "verify", "--data", Path.Combine(archive.WorkDirectory, "pacs-data")]);

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(archive.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> CountAsync(string where, string value)
    {
        await using var connection = new NpgsqlConnection(archive.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pacs_audit_events WHERE " + where, connection) { Parameters = { new() { Value = value } } };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<Row> SingleAsync(string where, string value) => (await RowsAsync(1, where, value))[0];

    /// <summary>Exactly <paramref name="expected"/> rows, once the writer's batch has landed (it writes off the request path).</summary>
    private async Task<IReadOnlyList<Row>> RowsAsync(int expected, string where, string value)
    {
        var deadline = DateTime.UtcNow + WriteDelay;
        while (true)
        {
            var rows = new List<Row>();
            await using (var connection = new NpgsqlConnection(archive.Database))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand(
                    "SELECT event_key, chain_seq, actor, role, client_address, session_id, outcome, detail::text FROM pacs_audit_events WHERE " + where + " ORDER BY event_key",
                    connection) { Parameters = { new() { Value = value } } };
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    rows.Add(new Row(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetString(7)));
                }
            }

            if (rows.Count >= expected || DateTime.UtcNow > deadline)
            {
                Assert.Equal(expected, rows.Count);
                return rows;
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>An archive of its own for <see cref="AuditTrailTests"/>.</summary>
public sealed class AuditArchiveFixture : ArchiveFixture;

[CollectionDefinition(Name)]
public sealed class AuditArchiveCollection : ICollectionFixture<AuditArchiveFixture>
{
    public const string Name = "audit-archive";
}
