using System.Globalization;
using System.Net.Http.Json;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;
using Pacs.Dicom.Query;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// DICOM User Identity Negotiation (PS3.7 D.3.3.7) against the accounts, on a gateway whose rules put Hospital A's
/// studies in "site-a" and Hospital B's in "site-b": an association with a doctor's username and passcode acts as that
/// doctor (C-FIND, C-MOVE and C-GET see only the doctor's site), an operator's C-GET sees only the operator's site, a
/// wrong passcode is rejected, a node registered with requireUserIdentity is refused without one, and the records name
/// the account. dcmtk 3.6.7 sends a user identity from storescu only (findscu, movescu and getscu have no such option),
/// so the queries and retrievals go through our own SCU and storescu covers the real-peer side.
/// </summary>
[Collection(DicomWebArchiveCollection.Name)]
public sealed class DimseUserIdentityTests(ArchiveFixture archive)
{
    private static readonly string[] Native = [.. DicomClientOptions.NativeTransferSyntaxes];

    [Fact]
    public async Task UserIdentity_TwoSites_EachAccountSeesItsGroupsAndWrongPasswordIsRejected()
    {
        using var gateway = await archive.StartGatewayAsync(
            "--Pacs:AccessGroups:Rules:0:Group", "site-a", "--Pacs:AccessGroups:Rules:0:InstitutionName", "Hospital A",
            "--Pacs:AccessGroups:Rules:1:Group", "site-b", "--Pacs:AccessGroups:Rules:1:InstitutionName", "Hospital B",
            // Its node cache (default 5 s) holds what it read of a node registered through the shared gateway below.
            "--Pacs:Dimse:NodeCacheSeconds", "1");
        var port = gateway.DicomPort.ToString(CultureInfo.InvariantCulture);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var a = SyntheticStudy.Create("CT", "UID^ALPHA", slices: 1);
        var b = SyntheticStudy.Create("MR", "UID^BRAVO", slices: 1);
        a.Instances[0].Dataset.SetString(DicomTag.InstitutionName, DicomVR.LO, "Hospital A");
        b.Instances[0].Dataset.SetString(DicomTag.InstitutionName, DicomVR.LO, "Hospital B");
        var fileA = Path.Combine(archive.WorkDirectory, $"uid-a-{suffix}.dcm");
        var fileB = Path.Combine(archive.WorkDirectory, $"uid-b-{suffix}.dcm");
        await File.WriteAllBytesAsync(fileA, a.Instances[0].ToBytes());
        await File.WriteAllBytesAsync(fileB, b.Instances[0].ToBytes());
        var requiring = "REQID" + suffix[..6].ToUpperInvariant();
        try
        {
            var doctor = $"uid-doc-{suffix}";
            var doctorPassword = await archive.CreateAccountAsync(doctor, "doctor", "site-a");
            var operatorName = $"uid-op-{suffix}";
            var operatorPassword = await archive.CreateAccountAsync(operatorName, "operator", "site-b");

            // storescu (dcmtk) with username and passcode: an operator stores; the records name the account.
            var (code, output) = await ChildProcess.RunAsync("storescu", ["-aet", "UIDSTORE", "-aec", ArchiveFixture.AeTitle,
                "-usr", operatorName, "-pwd", operatorPassword, "127.0.0.1", port, fileB]);
            Assert.True(code == 0, output);
            // The same with a wrong passcode: A-ASSOCIATE-RJ, nothing stored.
            (code, output) = await ChildProcess.RunAsync("storescu", ["-aet", "UIDSTORE", "-aec", ArchiveFixture.AeTitle,
                "-usr", operatorName, "-pwd", "Not-The-Passw0rd", "127.0.0.1", port, fileA]);
            Assert.NotEqual(0, code);
            Assert.Contains("Association Rejected", output, StringComparison.OrdinalIgnoreCase);
            // Without an identity the node stores as before (the gateway's default policy is open).
            (code, output) = await ChildProcess.RunAsync("storescu", ["-aet", "UIDSTORE", "-aec", ArchiveFixture.AeTitle, "127.0.0.1", port, fileA]);
            Assert.True(code == 0, output);

            // The doctor of site A: C-FIND sees site A's study only; C-MOVE and C-GET retrieve only it.
            await using (var client = await ConnectAsync(gateway.DicomPort, UserIdentityRequest.ForUsername(doctor, doctorPassword, positiveResponseRequested: true)))
            {
                Assert.Equal([a.StudyInstanceUid], await FindStudiesAsync(client, a, b));
                Assert.Equal(0, await MoveAsync(client, b));
                Assert.Equal(1, await MoveAsync(client, a));
                Assert.Equal(0, await GetAsync(client, b));
                Assert.Equal(1, await GetAsync(client, a));
                await client.ReleaseAsync();
            }

            // The operator of site B: finds B only; searches and views as over WADO-RS, so C-GET retrieves B and not A
            // (the one permission table: docs/security.md, "Roles and permissions").
            await using (var client = await ConnectAsync(gateway.DicomPort, UserIdentityRequest.ForUsername(operatorName, operatorPassword)))
            {
                Assert.Equal([b.StudyInstanceUid], await FindStudiesAsync(client, a, b));
                Assert.Contains(client.Association.PresentationContexts, c => c.AbstractSyntax == QueryRetrieveSopClass.StudyRootGet && c.IsAccepted);
                Assert.Equal(0, await GetAsync(client, a));
                Assert.Equal(1, await GetAsync(client, b));
                await client.ReleaseAsync();
            }

            // The doctor's access token (POST /auth/token) as a JWT identity (type 5): the same account, the same view.
            var jwt = await archive.AccessTokenAsync(doctor, doctorPassword);
            await using (var client = await ConnectAsync(gateway.DicomPort, new UserIdentityRequest(UserIdentityType.Jwt, false, System.Text.Encoding.UTF8.GetBytes(jwt), default)))
            {
                Assert.Equal([a.StudyInstanceUid], await FindStudiesAsync(client, a, b));
                await client.ReleaseAsync();
            }
            await Assert.ThrowsAsync<DicomAssociationRejectedException>(() => ConnectAsync(gateway.DicomPort,
                new UserIdentityRequest(UserIdentityType.Jwt, false, System.Text.Encoding.UTF8.GetBytes(jwt[..^4] + "AAAA"), default)));

            // No identity: the node's view, both studies.
            await using (var client = await ConnectAsync(gateway.DicomPort, null))
            {
                Assert.Equal(new[] { a.StudyInstanceUid, b.StudyInstanceUid }.Order(StringComparer.Ordinal), await FindStudiesAsync(client, a, b));
                await client.ReleaseAsync();
            }

            // A wrong passcode through our SCU: rejected permanent, service-user, reason 1 (PS3.8 Table 9-21).
            var rejected = await Assert.ThrowsAsync<DicomAssociationRejectedException>(() => ConnectAsync(gateway.DicomPort, UserIdentityRequest.ForUsername(doctor, "Wrong-Passw0rd-1")));
            Assert.Equal(AssociateRejectResult.Permanent, rejected.Reject.Result);
            Assert.Equal(AssociateRejectSource.ServiceUser, rejected.Reject.Source);
            Assert.Equal(AssociateRejectReason.NoReasonGiven, rejected.Reject.Reason);
            // A username without passcode proves nothing: refused unless configured (Pacs:Dimse:AcceptUsernameWithoutPasscode).
            await Assert.ThrowsAsync<DicomAssociationRejectedException>(() => ConnectAsync(gateway.DicomPort, UserIdentityRequest.ForUsername(doctor)));

            // A node registered with requireUserIdentity: refused without one, admitted with one.
            using (var put = archive.Request(HttpMethod.Put, $"/api/dicom-nodes/{requiring}"))
            {
                put.Content = JsonContent.Create(new { host = "127.0.0.1", port = 104, services = new[] { "store", "find", "retrieve" }, requireUserIdentity = true });
                using var response = await archive.Http.SendAsync(put);
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
                Assert.Contains("\"requireUserIdentity\":true", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
            await Task.Delay(TimeSpan.FromSeconds(1.5)); // the extra gateway's node cache (Pacs:Dimse:NodeCacheSeconds, 1 s here)
            (code, output) = await ChildProcess.RunAsync("echoscu", ["-aet", requiring, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", port]);
            Assert.NotEqual(0, code);
            Assert.Contains("Association Rejected", output, StringComparison.OrdinalIgnoreCase);
            (code, output) = await ChildProcess.RunAsync("storescu", ["-aet", requiring, "-aec", ArchiveFixture.AeTitle,
                "-usr", operatorName, "-pwd", operatorPassword, "127.0.0.1", port, fileB]);
            Assert.True(code == 0, output);

            // The audit trail: the DIMSE login, the operator's store and the doctor's query carry the account and role.
            await AssertAuditAsync(operatorName, "login", "operator");
            await AssertAuditAsync(operatorName, "store", "operator");
            await AssertAuditAsync(doctor, "query", "doctor");
            await AssertAuditAsync(doctor, "login.failed", "");
        }
        finally
        {
            File.Delete(fileA);
            File.Delete(fileB);
            foreach (var study in new[] { a, b })
            {
                using (await archive.Http.DeleteAsync($"{archive.BaseUrl}/dicom-web/studies/{study.StudyInstanceUid}")) { }
            }

            using (await archive.Http.DeleteAsync($"{archive.BaseUrl}/api/dicom-nodes/{requiring}")) { }
        }
    }

    private static Task<DicomClient> ConnectAsync(int port, UserIdentityRequest? identity) => DicomClient.ConnectAsync(new DicomClientOptions
    {
        Port = port,
        CalledAeTitle = ArchiveFixture.AeTitle,
        CallingAeTitle = "UIDSCU",
        UserIdentity = identity,
        PresentationContexts =
        [
            new PresentationContextRequest(QueryRetrieveSopClass.StudyRootFind, Native),
            new PresentationContextRequest(QueryRetrieveSopClass.StudyRootMove, Native),
            new PresentationContextRequest(QueryRetrieveSopClass.StudyRootGet, Native),
            new PresentationContextRequest(DicomUids.CTImageStorage, Native, ProposeScpRole: true),
            new PresentationContextRequest(DicomUids.MRImageStorage, Native, ProposeScpRole: true),
        ],
        StoreProvider = new CountingStore(),
        Association = new DicomAssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(20), DimseTimeout = TimeSpan.FromSeconds(40) },
    });

    private static DicomDataset Identifier(params SyntheticStudy[] studies)
    {
        var identifier = new DicomDataset();
        identifier.SetString(DicomTag.QueryRetrieveLevel, DicomVR.CS, "STUDY");
        identifier.SetStrings(DicomTag.StudyInstanceUID, DicomVR.UI, [.. studies.Select(s => s.StudyInstanceUid)]);
        return identifier;
    }

    private static async Task<List<string>> FindStudiesAsync(DicomClient client, params SyntheticStudy[] studies)
    {
        var found = new List<string>();
        await foreach (var match in client.FindAsync(QueryRetrieveSopClass.StudyRootFind, Identifier(studies)))
        {
            found.Add(match.GetString(DicomTag.StudyInstanceUID)!);
        }

        return found.Order(StringComparer.Ordinal).ToList();
    }

    private static async Task<int> MoveAsync(DicomClient client, SyntheticStudy study)
    {
        var response = await client.MoveAsync(QueryRetrieveSopClass.StudyRootMove, ArchiveFixture.DestinationAe, Identifier(study));
        Assert.True(response.Status.IsSuccess || response.Status.Code == 0xB000, $"C-MOVE {response.Status.Code:X4}");
        return response.Counts?.Completed ?? 0;
    }

    private static async Task<int> GetAsync(DicomClient client, SyntheticStudy study)
    {
        var response = await client.GetAsync(QueryRetrieveSopClass.StudyRootGet, Identifier(study));
        Assert.True(response.Status.IsSuccess, $"C-GET {response.Status.Code:X4}");
        return response.Counts?.Completed ?? 0;
    }

    private async Task AssertAuditAsync(string actor, string action, string role)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            await using var connection = new NpgsqlConnection(archive.Database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM pacs_audit_events WHERE actor = $1 AND kind = $2 AND role = $3", connection)
            {
                Parameters = { new() { Value = actor }, new() { Value = action }, new() { Value = role } },
            };
            var count = (long)(await command.ExecuteScalarAsync())!;
            if (count > 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no audit record {action} by {actor} ({role})");
            await Task.Delay(200);
        }
    }

    /// <summary>The C-GET sub-operations' storage SCP: drains and counts.</summary>
    private sealed class CountingStore : ICStoreProvider
    {
        public async ValueTask<DimseStatus> OnCStoreAsync(CStoreRequest request, Stream dataSet, DicomTransferSyntax transferSyntax, AssociationInfo association, CancellationToken cancellationToken)
        {
            await dataSet.CopyToAsync(Stream.Null, cancellationToken);
            return DimseStatus.Success;
        }
    }
}
