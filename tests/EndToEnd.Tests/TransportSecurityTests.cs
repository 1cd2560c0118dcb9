using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Pacs.Dicom;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Transport security of a live gateway (issue 13): HTTPS beside the DICOM port, DICOM TLS with dcmtk's own TLS
/// options and client certificates bound to registered nodes, a TLS handshake that cannot hold the port, certificate
/// rotation, the Host allow-list, URLs from the public base URL, and the headers of every response.
/// </summary>
[Collection(TlsArchiveCollection.Name)]
public sealed class TransportSecurityTests(TlsArchiveFixture archive)
{
    private string TlsPort => archive.DicomTlsPort.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Https_WithDicomPortOn_ServesDicomWebWithHsts()
    {
        using var response = await archive.Https.GetAsync("/dicom-web/studies");
        Assert.True(response.IsSuccessStatusCode, $"HTTPS QIDO answered {(int)response.StatusCode}");
        Assert.True(response.Headers.TryGetValues("Strict-Transport-Security", out var hsts), "no HSTS over HTTPS");
        Assert.StartsWith("max-age=", hsts!.Single(), StringComparison.Ordinal);
        // The plain DICOM port is on at the same time.
        var (code, output) = await ChildProcess.RunAsync("echoscu", ["-aec", ArchiveFixture.AeTitle, "127.0.0.1", archive.DicomPort.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Http_RedirectConfigured_ApiAnswers308ToHttpsButHealthStaysPlain()
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var http = new HttpClient(handler);
        using var api = await http.GetAsync($"http://127.0.0.1:{archive.HttpPort}/dicom-web/studies?PatientID=x");
        Assert.Equal(HttpStatusCode.PermanentRedirect, api.StatusCode);
        Assert.Equal($"https://127.0.0.1:{archive.HttpsPort}/dicom-web/studies?PatientID=x", api.Headers.Location!.ToString());
        using var health = await http.GetAsync($"http://127.0.0.1:{archive.HttpPort}/health/live");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.False(health.Headers.Contains("Strict-Transport-Security"), "HSTS sent over plain HTTP");
    }

    [Fact]
    public async Task DicomTls_EchoscuWithoutClientCertificate_Succeeds()
    {
        var (code, output) = await ChildProcess.RunAsync("echoscu", ["+tla", "+cf", archive.Certificates.CaPath, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", TlsPort]);
        Assert.True(code == 0, "echoscu +tla failed:\n" + output);
    }

    [Fact]
    public async Task DicomTls_StorescuWithRegisteredNodeCertificate_StoresInstance()
    {
        var (key, certificate) = archive.Certificates.IssueClient("tlsnode", TlsArchiveFixture.TlsNodeAe);
        var study = SyntheticStudy.Create("CT", "TLS^STORE", slices: 1);
        var file = Path.Combine(archive.WorkDirectory, "tls-store.dcm");
        await File.WriteAllBytesAsync(file, study.Instances[0].ToBytes());
        var (code, output) = await ChildProcess.RunAsync("storescu",
            ["+tls", key, certificate, "+cf", archive.Certificates.CaPath, "-aet", TlsArchiveFixture.TlsNodeAe, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", TlsPort, file]);
        Assert.True(code == 0, "storescu +tls failed:\n" + output);

        using var response = await archive.Https.GetAsync($"/dicom-web/studies?StudyInstanceUID={study.StudyInstanceUid}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, json.RootElement.GetArrayLength());
        // RetrieveURL (0008,1190) comes from the configured public base URL, not from the Host we sent.
        var retrieve = json.RootElement[0].GetProperty("00081190").GetProperty("Value")[0].GetString();
        Assert.Equal($"{TlsArchiveFixture.PublicBaseUrl}/dicom-web/studies/{study.StudyInstanceUid}", retrieve);
    }

    [Fact]
    public async Task DicomTls_CertificateUsedWithAnotherCallingAe_Rejected()
    {
        var (key, certificate) = archive.Certificates.IssueClient("impostor", TlsArchiveFixture.TlsNodeAe);
        var (code, output) = await ChildProcess.RunAsync("echoscu",
            ["+tls", key, certificate, "+cf", archive.Certificates.CaPath, "-aet", "OTHERNODE", "-aec", ArchiveFixture.AeTitle, "127.0.0.1", TlsPort]);
        Assert.NotEqual(0, code);
        Assert.Contains("Calling AE Title Not Recognized", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task DicomTls_CertificateOfUnregisteredAe_Rejected()
    {
        var (key, certificate) = archive.Certificates.IssueClient("unregistered", "NOTANODE");
        var (code, output) = await ChildProcess.RunAsync("echoscu",
            ["+tls", key, certificate, "+cf", archive.Certificates.CaPath, "-aet", "NOTANODE", "-aec", ArchiveFixture.AeTitle, "127.0.0.1", TlsPort]);
        Assert.NotEqual(0, code);
        Assert.Contains("Calling AE Title Not Recognized", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task DicomTls_ClientCertificateFromUntrustedCa_HandshakeRefused()
    {
        var (key, certificate) = archive.Certificates.IssueClient("rogue", TlsArchiveFixture.TlsNodeAe, trusted: false);
        var (code, output) = await ChildProcess.RunAsync("echoscu",
            ["+tls", key, certificate, "+cf", archive.Certificates.CaPath, "-aet", TlsArchiveFixture.TlsNodeAe, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", TlsPort]);
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("Received Echo Response", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DicomTls_SilentConnections_DoNotDelayOthersAndAreDroppedAfterHandshakeTimeout()
    {
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 50; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, archive.DicomTlsPort);
                silent.Add(socket);
            }
            // Another client's handshake and association go through while 50 connections say nothing.
            var (code, output) = await ChildProcess.RunAsync("echoscu", ["+tla", "+cf", archive.Certificates.CaPath, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", TlsPort], timeoutSeconds: 30);
            Assert.True(code == 0, "echoscu +tla failed beside silent connections:\n" + output);

            // Each silent connection is closed by the server once the handshake timeout has passed (generous margin).
            var buffer = new byte[16];
            foreach (var socket in silent)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(TlsArchiveFixture.HandshakeTimeoutSeconds + 20));
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                Assert.Equal(0, read);
            }
        }
        finally
        {
            foreach (var socket in silent)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task Https_CertificateFilesRotated_NewCertificatePresentedWithoutRestart()
    {
        using (var before = await archive.Https.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        Assert.Equal("CN=127.0.0.1", archive.LastServerSubject);
        archive.Certificates.RotateServer("rotated.pacs.test");
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (archive.LastServerSubject != "CN=rotated.pacs.test" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
                using var after = await archive.Https.GetAsync("/health/live");
                Assert.Equal(HttpStatusCode.OK, after.StatusCode);
            }
            Assert.Equal("CN=rotated.pacs.test", archive.LastServerSubject);
            // DICOM TLS presents the rotated certificate too (dcmtk checks it against the CA).
            var (code, output) = await ChildProcess.RunAsync("echoscu", ["+tla", "+cf", archive.Certificates.CaPath, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", TlsPort]);
            Assert.True(code == 0, output);
        }
        finally
        {
            archive.Certificates.RotateServer("127.0.0.1");
        }
    }

    [Theory]
    [InlineData("rebound.attacker.example")]
    [InlineData("127.0.0.1.nip.io")]
    public async Task HostHeader_NotOurs_Answers400(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dicom-web/studies");
        request.Headers.Host = host;
        using var response = await archive.Https.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("pacs.example.org")]
    public async Task HostHeader_OursOrPublicName_Accepted(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dicom-web/studies");
        request.Headers.Host = $"{host}:{archive.HttpsPort}";
        using var response = await archive.Https.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{host} answered {(int)response.StatusCode}");
    }

    [Fact]
    public async Task Responses_PatientData_NoStoreNoServerHeaderNoFraming()
    {
        using var response = await archive.Https.GetAsync("/dicom-web/studies");
        Assert.False(response.Headers.Contains("Server"), "Server header sent");
        Assert.True(response.Headers.CacheControl?.NoStore, "QIDO answer may be cached");
        Assert.Equal("SAMEORIGIN", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Referrer-Policy").Single());
    }
}
