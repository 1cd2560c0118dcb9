using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Npgsql;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Issue 12's audit export and forwarding: GET /api/audit/export streams a time range as DICOM audit messages
/// (PS3.15 A.5) over several database pages, is recorded as Audit Log Used, and ./pacs audit export gives the same;
/// a gateway with Pacs:Audit:Syslog sends each row to a local repository as one octet-counted RFC 5424 message whose
/// MSG is the audit XML, over plain TCP and over TLS (RFC 5425) with a CA of the test's own.
/// </summary>
[Collection(AuditArchiveCollection.Name)]
public sealed class AuditExportTests(AuditArchiveFixture archive)
{
    [Fact]
    public async Task Export_TimeRangeOfSeveralPages_EveryRowOneMessageInChainOrder_AuditedAndSameThroughPacs()
    {
        // 1,234 rows in a day of 2001 no other test writes to (more than two of the export's 500-row pages), chained by
        // the table's own trigger as any writer's rows are.
        const int Rows = 1234;
        var actor = "exp-" + Guid.NewGuid().ToString("N")[..8];
        await ExecuteAsync($$"""
            INSERT INTO pacs_audit_events (occurred_at, actor, role, client_address, session_id, kind, outcome, detail)
            SELECT timestamptz '2001-02-03 00:00:00+00' + i * interval '1 second', '{{actor}}', 'doctor', '10.1.2.3', '', 'query', 'success', '{}'::jsonb
            FROM generate_series(1, {{Rows}}) AS i
            """);
        const string Range = "from=2001-02-03T00:00:00Z&to=2001-02-04T00:00:00Z";

        using var response = await archive.Http.GetAsync($"{archive.BaseUrl}/api/audit/export?{Range}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition?.ToString() ?? "", StringComparison.Ordinal);
        var messages = Messages(await response.Content.ReadAsStringAsync());
        Assert.Equal(Rows, messages.Count);
        Assert.All(messages, m => Assert.Equal("110112", m.Element("EventIdentification")!.Element("EventID")!.Attribute("csd-code")!.Value));
        Assert.All(messages, m => Assert.Equal(actor, m.Elements("ActiveParticipant").First().Attribute("UserID")!.Value));
        var times = messages.Select(m => DateTimeOffset.Parse(m.Element("EventIdentification")!.Attribute("EventDateTime")!.Value, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(new DateTimeOffset(2001, 2, 3, 0, 0, 1, TimeSpan.Zero), times[0]);
        Assert.Equal(times.Order(), times);

        // The export is itself recorded: Audit Log Used, with the range and the rows sent.
        var detail = await ExportRecordAsync("2001-02-03T00:00:00.000Z");
        Assert.Equal(Rows.ToString(CultureInfo.InvariantCulture), detail.GetProperty("rows").GetString());

        // ./pacs audit export: the same document on stdout.
        var (code, output) = await ChildProcess.RunAsync("env", ["PACS_PASSWORD=" + ArchiveFixture.AdminPassword, Path.Combine(archive.RepoRoot, "pacs"),
            "audit", "export", "--url", archive.BaseUrl, "--from", "2001-02-03T00:00:00Z", "--to", "2001-02-04T00:00:00Z",
            "--data", Path.Combine(archive.WorkDirectory, "pacs-data")], 120);
        Assert.True(code == 0, output);
        Assert.Equal(Rows, Messages(output.Trim()).Count);

        // Bad ranges are problem details; other roles are refused.
        foreach (var bad in new[] { "from=2001-02-03T00:00:00Z", "from=yesterday&to=2001-02-04T00:00:00Z", "from=2001-02-04T00:00:00Z&to=2001-02-03T00:00:00Z", Range + "&actor=x" })
        {
            using var refused = await archive.Http.GetAsync($"{archive.BaseUrl}/api/audit/export?{bad}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }
        var doctor = "exp-doc-" + Guid.NewGuid().ToString("N")[..8];
        var token = await archive.AccessTokenAsync(doctor, await archive.CreateAccountAsync(doctor, "doctor"));
        using var forbidden = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, $"/api/audit/export?{Range}", token));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    [Fact]
    public async Task Syslog_Tcp_FailedLoginArrivesAsOneFramedRfc5424MessageWithTheAuditXml()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(240));
        // Accepting from before the gateway starts: its forwarder connects as soon as it runs.
        var accepted = listener.AcceptTcpClientAsync(timeout.Token).AsTask();
        using var gateway = await archive.StartGatewayAsync("--Pacs:Audit:Syslog:Host", "127.0.0.1",
            "--Pacs:Audit:Syslog:Port", Port(listener), "--Pacs:Audit:Syslog:Tls", "false");
        using var client = await accepted;
        await AssertOneLoginMessageAsync(gateway, client.GetStream(), timeout.Token);
    }

    [Fact]
    public async Task Syslog_Tls_FailedLoginArrivesOverTlsCheckedAgainstTheCaFile()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Audit Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), [1, 2, 3, 4]);
        using var server = issued.CopyWithPrivateKey(serverKey);
        var caFile = Path.Combine(archive.WorkDirectory, "audit-ca-" + Guid.NewGuid().ToString("N")[..8] + ".pem");
        await File.WriteAllTextAsync(caFile, ca.ExportCertificatePem());

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(240));
        var accepted = AcceptTlsAsync(listener, server, timeout.Token);
        using var gateway = await archive.StartGatewayAsync("--Pacs:Audit:Syslog:Host", "localhost",
            "--Pacs:Audit:Syslog:Port", Port(listener), "--Pacs:Audit:Syslog:Tls", "true", "--Pacs:Audit:Syslog:CaFile", caFile);
        var (client, tls) = await accepted;
        using (client)
        await using (tls)
        {
            Assert.True(tls.IsEncrypted);
            await AssertOneLoginMessageAsync(gateway, tls, timeout.Token);
        }
    }

    /// <summary>The first connection whose TLS handshake completes (a forwarder that gave up on an earlier one reconnects).</summary>
    private static async Task<(TcpClient Client, SslStream Tls)> AcceptTlsAsync(TcpListener listener, X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        while (true)
        {
            var client = await listener.AcceptTcpClientAsync(cancellationToken);
            var tls = new SslStream(client.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellationToken);
                return (client, tls);
            }
            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
            {
                await tls.DisposeAsync();
                client.Dispose();
            }
        }
    }

    /// <summary>A failed login through the gateway: exactly one message names that user, a User Authentication event (PS3.15 A.5.3.2).</summary>
    private async Task AssertOneLoginMessageAsync(ExtraGateway gateway, Stream stream, CancellationToken cancellationToken)
    {
        var nobody = "syslog-" + Guid.NewGuid().ToString("N")[..8];
        using (var response = await archive.Anonymous.PostAsync($"http://127.0.0.1:{gateway.HttpPort}/auth/token",
            System.Net.Http.Json.JsonContent.Create(new { username = nobody, password = "Not-The-Password-1" }), cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        // Read until the login's message, then a little longer: no second one for it.
        var found = new List<XElement>();
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (true)
            {
                var message = await ReadMessageAsync(stream, quiet.Token);
                if (message.Elements("ActiveParticipant").Any(p => p.Attribute("UserID")?.Value == nobody))
                {
                    found.Add(message);
                    quiet.CancelAfter(TimeSpan.FromSeconds(3));
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        var login = Assert.Single(found);
        Assert.Equal("110114", login.Element("EventIdentification")!.Element("EventID")!.Attribute("csd-code")!.Value);
        Assert.Equal("110122", login.Element("EventIdentification")!.Element("EventTypeCode")!.Attribute("csd-code")!.Value);
        Assert.Equal("4", login.Element("EventIdentification")!.Attribute("EventOutcomeIndicator")!.Value);
        Assert.Equal(ArchiveFixture.AeTitle, login.Element("AuditSourceIdentification")!.Attribute("AuditSourceID")!.Value);
    }

    /// <summary>One octet-counted frame (RFC 6587 3.4.1), checked as RFC 5424 (PRI of facility 10, version 1, MSGID DICOM+RFC3881), its MSG parsed.</summary>
    private static async Task<XElement> ReadMessageAsync(Stream stream, CancellationToken cancellationToken)
    {
        var length = 0;
        var one = new byte[1];
        while (true)
        {
            await stream.ReadExactlyAsync(one, cancellationToken);
            if (one[0] == (byte)' ')
            {
                break;
            }

            Assert.InRange(one[0], (byte)'0', (byte)'9');
            length = checked(length * 10 + (one[0] - '0'));
            Assert.InRange(length, 1, 1 << 20);
        }

        var bytes = new byte[length];
        await stream.ReadExactlyAsync(bytes, cancellationToken);
        var text = Encoding.UTF8.GetString(bytes);
        var m = System.Text.RegularExpressions.Regex.Match(text, @"^<(8[45])>1 \S+ [!-~]+ pacs-gateway \d+ DICOM\+RFC3881 - (<\?xml.*)$", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.True(m.Success, "not the expected RFC 5424 message: " + text);
        return XDocument.Parse(m.Groups[2].Value).Root!;
    }

    private static string Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

    private static List<XElement> Messages(string xml)
    {
        var root = XDocument.Parse(xml).Root!;
        Assert.Equal("AuditMessages", root.Name.LocalName);
        return [.. root.Elements("AuditMessage")];
    }

    /// <summary>The detail of the audit.export row of the range starting at <paramref name="from"/>, once written.</summary>
    private async Task<JsonElement> ExportRecordAsync(string from)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            await using (var connection = new NpgsqlConnection(archive.Database))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT detail::text FROM pacs_audit_events WHERE kind = 'audit.export' AND actor = 'admin' AND detail->>'from' = $1 ORDER BY event_key LIMIT 1", connection)
                {
                    Parameters = { new() { Value = from } },
                };
                if (await command.ExecuteScalarAsync() is string text)
                {
                    return JsonDocument.Parse(text).RootElement.Clone();
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "no audit.export record");
            await Task.Delay(100);
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(archive.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
