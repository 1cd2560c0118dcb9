using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Audit;
using Pacs.Index.Audit;

namespace Pacs.Gateway.Tests.Audit;

/// <summary>
/// Syslog over TLS with a client certificate (RFC 5425 4.2.1, mutual authentication) against a local TLS listener that
/// requires one and checks it against its own client CA: the gateway's certificate (PEM with a separate key, PEM with
/// an encrypted key, or PKCS#12 with a password) is accepted and the message arrives; without a certificate, or with
/// one from another CA, the listener refuses every handshake and nothing arrives; and the forwarder itself refuses a
/// repository whose certificate does not chain to the configured CA file and sends nothing.
/// </summary>
public sealed class SyslogForwarderTlsTests : IDisposable
{
    private const string Password = "Audit-Client-Key-Passw0rd";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "syslog-mtls-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly X509Certificate2 _serverCa;
    private readonly X509Certificate2 _server;
    private readonly X509Certificate2 _clientCa;

    public SyslogForwarderTlsTests()
    {
        Directory.CreateDirectory(_directory);
        _serverCa = Authority("CN=Audit Repository Test CA");
        _server = Issue(_serverCa, "CN=localhost", "1.3.6.1.5.5.7.3.1", dns: "localhost");
        _clientCa = Authority("CN=Audit Client Test CA");
        File.WriteAllText(Path.Combine(_directory, "server-ca.pem"), _serverCa.ExportCertificatePem());

        using var client = Issue(_clientCa, "CN=pacs-gateway-test", "1.3.6.1.5.5.7.3.2");
        using var clientKey = client.GetECDsaPrivateKey()!;
        // PEM: the certificate, then its CA (the chain the forwarder sends); the key beside it, plain and encrypted.
        File.WriteAllText(Path.Combine(_directory, "client.pem"), client.ExportCertificatePem() + "\n" + _clientCa.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_directory, "client.key"), clientKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(_directory, "client-encrypted.key"), clientKey.ExportEncryptedPkcs8PrivateKeyPem(Password,
            new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        File.WriteAllBytes(Path.Combine(_directory, "client.pfx"), client.Export(X509ContentType.Pkcs12, Password));

        using var otherCa = Authority("CN=Some Other CA");
        using var stranger = Issue(otherCa, "CN=pacs-gateway-test", "1.3.6.1.5.5.7.3.2");
        using var strangerKey = stranger.GetECDsaPrivateKey()!;
        File.WriteAllText(Path.Combine(_directory, "stranger.pem"), stranger.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_directory, "stranger.key"), strangerKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(_directory, "other-ca.pem"), otherCa.ExportCertificatePem());
    }

    public static TheoryData<string, string, bool> Certificates => new()
    {
        { "client.pem", "client.key", false },
        { "client.pem", "client-encrypted.key", true },
        { "client.pfx", "", true },
    };

    [Theory]
    [MemberData(nameof(Certificates))]
    public async Task ClientCertificateOfTheRepositorysCa_Accepted_MessageArrives(string certificate, string key, bool withPassword)
    {
        await using var repository = new Repository(_server, _clientCa);
        using var forwarder = Forwarder(repository.Port, "server-ca.pem", certificate, key, withPassword ? Password : "");
        await forwarder.StartAsync(CancellationToken.None);
        try
        {
            forwarder.Enqueue([Record("mtls-accepted")]);
            var (subject, message) = await repository.FirstMessageAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("CN=pacs-gateway-test", subject);
            var parsed = SyslogForwarderTests.Parse(message);
            Assert.Contains("mtls-accepted", parsed.Xml.ToString(), StringComparison.Ordinal);
            Assert.Equal(0, repository.Refused);
        }
        finally
        {
            await forwarder.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task NoClientCertificate_RepositoryRefusesEveryHandshake_NothingArrives()
    {
        await using var repository = new Repository(_server, _clientCa);
        using var forwarder = Forwarder(repository.Port, "server-ca.pem", "", "", "");
        await AssertRefusedAsync(repository, forwarder);
    }

    [Fact]
    public async Task ClientCertificateOfAnotherCa_RepositoryRefusesEveryHandshake_NothingArrives()
    {
        await using var repository = new Repository(_server, _clientCa);
        using var forwarder = Forwarder(repository.Port, "server-ca.pem", "stranger.pem", "stranger.key", "");
        await AssertRefusedAsync(repository, forwarder);
    }

    [Fact]
    public async Task RepositoryCertificateNotOfTheConfiguredCa_ForwarderRefusesIt_NothingSent()
    {
        await using var repository = new Repository(_server, _clientCa);
        // The right client certificate, but the CA file names another CA than the one that issued the repository's.
        using var forwarder = Forwarder(repository.Port, "other-ca.pem", "client.pem", "client.key", "");
        await forwarder.StartAsync(CancellationToken.None);
        try
        {
            forwarder.Enqueue([Record("mtls-untrusted-repository")]);
            // The client checks the repository's chain once its side of the handshake is done (the repository may count
            // the handshake as complete), then drops the connection: two such refusals, and nothing was sent.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (_log.Count(line => line.StartsWith("Warning 7311", StringComparison.Ordinal) && line.Contains("AuthenticationException", StringComparison.Ordinal)) < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the forwarder did not refuse the repository twice; it logged:\n" + _log);
                await Task.Delay(50);
            }

            Assert.Contains("PartialChain", _log.ToString(), StringComparison.Ordinal);
            Assert.Equal(0, forwarder.Sent);
            Assert.Equal(0, repository.Messages);
        }
        finally
        {
            await forwarder.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void Options_ClientCertificateWithoutTls_Invalid()
    {
        var options = new SyslogOptions { Host = "localhost", Tls = false, ClientCertificateFile = "client.pem" };
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.MemberNames.Contains(nameof(SyslogOptions.Tls)));
        options = new SyslogOptions { Host = "localhost", ClientCertificateFile = "client.pfx", ClientKeyFile = "client.key" };
        results.Clear();
        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.MemberNames.Contains(nameof(SyslogOptions.ClientKeyFile)));
    }

    [Fact]
    public void WrongPassword_GatewayDoesNotStart()
    {
        Assert.ThrowsAny<CryptographicException>(() => Forwarder(6514, "server-ca.pem", "client.pfx", "", "not-the-password"));
    }

    /// <summary>The forwarder keeps reconnecting (one-second back-off): two refused handshakes, and no message arrived.</summary>
    private async Task AssertRefusedAsync(Repository repository, SyslogForwarder forwarder)
    {
        await forwarder.StartAsync(CancellationToken.None);
        try
        {
            forwarder.Enqueue([Record("mtls-refused")]);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (repository.Refused < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the repository saw fewer than two handshakes; the forwarder logged:\n" + _log);
                await Task.Delay(50);
            }

            Assert.Equal(0, repository.Accepted);
            Assert.Equal(0, repository.Messages);
        }
        finally
        {
            await forwarder.StopAsync(CancellationToken.None);
        }
    }

    private readonly LogLines _log = new();

    private SyslogForwarder Forwarder(int port, string caFile, string certificate, string key, string password) =>
        new(Options.Create(new SyslogOptions
        {
            Host = "localhost",
            Port = port,
            Tls = true,
            CaFile = Path.Combine(_directory, caFile),
            ClientCertificateFile = certificate.Length > 0 ? Path.Combine(_directory, certificate) : "",
            ClientKeyFile = key.Length > 0 ? Path.Combine(_directory, key) : "",
            ClientCertificatePassword = password,
            MaxReconnectDelay = TimeSpan.FromSeconds(1),
        }), Options.Create(new GatewayHostOptions { AeTitle = "MTLSTEST" }), _log);

    private static AuditRecord Record(string actor) => new() { Actor = actor, Action = "login", Outcome = "success", ClientAddress = "10.0.0.1" };

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string name, string usage, string? dns = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        if (dns is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(dns);
            request.CertificateExtensions.Add(names.Build());
        }

        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    public void Dispose()
    {
        _server.Dispose();
        _serverCa.Dispose();
        _clientCa.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The forwarder's log lines with their exceptions, for the failure messages.</summary>
    private sealed class LogLines : ILogger<SyslogForwarder>
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue($"{logLevel} {eventId.Id}: {formatter(state, exception)}{(exception is null ? "" : " (" + exception.GetType().Name + ": " + exception.Message + ")")}");

        public int Count(Func<string, bool> predicate) => _lines.Count(predicate);

        public override string ToString() => string.Join('\n', _lines);
    }

    /// <summary>
    /// A syslog-over-TLS repository on loopback that requires a client certificate chaining to <c>clientCa</c> (and
    /// nothing else: no system roots), counting accepted and refused handshakes and the messages it read.
    /// </summary>
    private sealed class Repository : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly X509Certificate2 _certificate;
        private readonly X509Certificate2 _clientCa;
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource<(string Subject, string Message)> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _loop;
        private readonly System.Collections.Concurrent.ConcurrentBag<Task> _connections = [];
        private int _accepted;
        private int _refused;
        private int _messages;

        public Repository(X509Certificate2 certificate, X509Certificate2 clientCa)
        {
            _certificate = certificate;
            _clientCa = clientCa;
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _loop = AcceptLoopAsync();
        }

        public int Port { get; }
        public int Accepted => Volatile.Read(ref _accepted);
        public int Refused => Volatile.Read(ref _refused);
        public int Messages => Volatile.Read(ref _messages);

        public async Task<(string Subject, string Message)> FirstMessageAsync(TimeSpan timeout) => await _first.Task.WaitAsync(timeout);

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _connections.Add(ServeAsync(client));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
                policy.CustomTrustStore.Add(_clientCa);
                await using var tls = new SslStream(client.GetStream());
                try
                {
                    using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    handshake.CancelAfter(TimeSpan.FromSeconds(10));
                    // No validation callback: any chain error, or no certificate at all, fails the handshake.
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = _certificate,
                        ClientCertificateRequired = true,
                        CertificateChainPolicy = policy,
                        EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
                    }, handshake.Token);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Whatever the handshake ended with (an alert, a reset, the client giving up): not accepted.
                    Interlocked.Increment(ref _refused);
                    return;
                }

                Interlocked.Increment(ref _accepted);
                var subject = tls.RemoteCertificate?.Subject ?? "";
                try
                {
                    while (!_stop.IsCancellationRequested)
                    {
                        var message = await SyslogForwarderTests.ReadFrameAsync(tls, _stop.Token);
                        Interlocked.Increment(ref _messages);
                        _first.TrySetResult((subject, message));
                    }
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or EndOfStreamException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            await Task.WhenAll(_connections);
            _listener.Dispose();
            _stop.Dispose();
        }
    }
}
