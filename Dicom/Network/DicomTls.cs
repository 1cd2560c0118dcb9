using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Pacs.Dicom.Network;

/// <summary>
/// The DICOM TLS secure transport connection profiles (PS3.15 B.1, B.9): an association runs over TLS exactly as over
/// TCP (PS3.8 9), only the bytes are protected. The protocol versions and cipher suites follow BCP 195 (RFC 9325),
/// which PS3.15 B.9 ("BCP 195 TLS Secure Transport Connection Profile") names: TLS 1.2 and 1.3 only, never SSL 3,
/// TLS 1.0 or 1.1; the cipher suites are the platform's (OpenSSL's default list excludes the ones BCP 195 forbids).
/// </summary>
public static class DicomTls
{
    /// <summary>PS3.15 B.9 / RFC 9325 3.1.1: TLS 1.2 and 1.3.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>The IANA-registered port of DICOM over TLS (PS3.15 B.1: "dicom-tls", 2762).</summary>
    public const int RegisteredPort = 2762;

    /// <summary>
    /// Runs the server side of the TLS handshake on <paramref name="transport"/> within <paramref name="timeout"/> and
    /// returns the pipe the association runs on plus the authenticated stream (for the peer's certificate). A peer that
    /// says nothing or stalls mid-handshake costs at most the timeout: the caller's connection is then dropped.
    /// </summary>
    /// <exception cref="AuthenticationException">The handshake failed (protocol, certificate).</exception>
    /// <exception cref="TimeoutException">The handshake did not finish within the timeout.</exception>
    public static async Task<(IDuplexPipe Pipe, SslStream Stream)> AuthenticateAsServerAsync(
        IDuplexPipe transport, SslServerAuthenticationOptions options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(new DuplexPipeStream(transport), leaveInnerStreamOpen: false);
        await HandshakeAsync(ssl, token => ssl.AuthenticateAsServerAsync(options, token), timeout, cancellationToken).ConfigureAwait(false);
        return (Wrap(ssl), ssl);
    }

    /// <summary>Client side (e.g. a C-MOVE sub-association to a TLS node): the same profile, the server certificate checked.</summary>
    public static async Task<(IDuplexPipe Pipe, SslStream Stream)> AuthenticateAsClientAsync(
        Stream transport, SslClientAuthenticationOptions options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        await HandshakeAsync(ssl, token => ssl.AuthenticateAsClientAsync(options, token), timeout, cancellationToken).ConfigureAwait(false);
        return (Wrap(ssl), ssl);
    }

    /// <summary>Runs a handshake within <paramref name="timeout"/>; on any failure the stream is disposed.</summary>
    private static async Task HandshakeAsync(SslStream ssl, Func<CancellationToken, Task> authenticate, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await authenticate(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"TLS handshake not completed within {timeout.TotalSeconds:0.#} s");
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Server options of the profile: TLS 1.2/1.3, the given certificate, client certificates as asked.</summary>
    public static SslServerAuthenticationOptions ServerOptions(
        ServerCertificateSelectionCallback certificate, bool askClientCertificate, RemoteCertificateValidationCallback? validateClient) => new()
        {
            EnabledSslProtocols = Protocols,
            ServerCertificateSelectionCallback = certificate,
            ClientCertificateRequired = askClientCertificate,
            RemoteCertificateValidationCallback = validateClient,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            // PS3.15 B.1: the application protocol is the DICOM upper layer; no ALPN name is registered for it.
            ApplicationProtocols = null,
        };

    private static IDuplexPipe Wrap(SslStream ssl) => new StreamDuplexPipe(
        // The writer leaves the stream open; completing the reader (done last on close) disposes it and the transport.
        PipeReader.Create(ssl, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 8 * 1024, leaveOpen: false)),
        PipeWriter.Create(ssl, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true)));

    private sealed record StreamDuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
