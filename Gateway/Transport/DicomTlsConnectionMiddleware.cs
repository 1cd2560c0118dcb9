using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Pacs.Dicom.Network;
using Pacs.Index;

namespace Pacs.Gateway.Transport;

/// <summary>
/// The TLS layer of the DICOM TLS port (PS3.15 B.1, BCP 195 profile B.9), as Kestrel connection middleware in front
/// of the same DICOM connection handler as the plain port: each connection's handshake runs on that connection's
/// own task with a timeout (<see cref="TlsOptions.HandshakeTimeoutSeconds"/>), so a silent or slow peer never holds up
/// the accept loop or another connection. After the handshake the connection's transport is the decrypted pipe, and
/// when the peer sent a certificate the association is checked against it (<see cref="CertificateNodePolicy"/>).
/// </summary>
internal sealed partial class DicomTlsConnectionMiddleware(
    ConnectionDelegate next, ServerCertificate certificate, IOptions<TlsOptions> options, DicomAcceptor acceptor, NodeRegistry nodes,
    ILogger<DicomTlsConnectionMiddleware> logger)
{
    private readonly TlsOptions _options = options.Value;
    private readonly X509Certificate2Collection _clientRoots = LoadClientRoots(options.Value);

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        var sslOptions = DicomTls.ServerOptions(
            (_, _) => certificate.Current,
            askClientCertificate: _options.DicomClientCertificates != ClientCertificateMode.None,
            ValidateClientCertificate);
        System.IO.Pipelines.IDuplexPipe pipe;
        SslStream ssl;
        try
        {
            (pipe, ssl) = await DicomTls.AuthenticateAsServerAsync(connection.Transport, sslOptions,
                TimeSpan.FromSeconds(_options.HandshakeTimeoutSeconds), connection.ConnectionClosed).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or TimeoutException or IOException or OperationCanceledException)
        {
            LogHandshakeFailed(logger, connection.RemoteEndPoint?.ToString(), ex.Message);
            return;
        }

        await using (ssl.ConfigureAwait(false))
        {
            var peer = ssl.RemoteCertificate is { } remote ? X509CertificateLoader.LoadCertificate(remote.GetRawCertData()) : null;
            var original = connection.Transport;
            connection.Transport = pipe;
            if (peer is not null)
            {
                connection.Features.Set(acceptor.WithPolicy(new CertificateNodePolicy(acceptor.Policy, peer, nodes)));
            }

            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                connection.Transport = original;
                peer?.Dispose();
            }
        }
    }

    /// <summary>
    /// A client certificate must chain to the configured client CA (not to the system's public roots: any public
    /// certificate would otherwise do) and be meant for TLS clients; whether one is required at all is the mode.
    /// </summary>
    private bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return _options.DicomClientCertificates != ClientCertificateMode.Required;
        }

        if (_clientRoots.Count == 0)
        {
            return false;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_clientRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // id-kp-clientAuth (RFC 5280 4.2.1.12).
        custom.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(leaf);
    }

    private static X509Certificate2Collection LoadClientRoots(TlsOptions options)
    {
        var roots = new X509Certificate2Collection();
        if (options.DicomClientCertificates == ClientCertificateMode.None)
        {
            return roots;
        }

        if (string.IsNullOrWhiteSpace(options.ClientCaPath))
        {
            throw new OptionsValidationException(TlsOptions.Section, typeof(TlsOptions), ["Pacs:Tls:ClientCaPath must name the CA of DICOM client certificates when DicomClientCertificates is not None"]);
        }

        roots.ImportFromPemFile(options.ClientCaPath);
        return roots;
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "DICOM TLS connection from {RemoteEndPoint} dropped: handshake failed ({Reason})")]
    private static partial void LogHandshakeFailed(ILogger logger, string? remoteEndPoint, string reason);
}
