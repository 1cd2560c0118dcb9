using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Pacs.Index.Audit;

namespace Pacs.Gateway.Audit;

/// <summary>
/// Forwards every audit record the <see cref="AuditWriter"/> has written to the database to an audit repository
/// (<see cref="SyslogOptions"/>), one RFC 5424 message per record (<see cref="SyslogMessage"/>), over one TCP or TLS
/// connection. Off the request path: the writer hands over its batch after the INSERT, and this loop sends. The
/// database row is the record of truth: while the repository is unreachable the loop reconnects with a doubling
/// back-off and the queue keeps the newest <see cref="SyslogOptions.QueueCapacity"/> records, dropping the oldest
/// (counted in <see cref="Dropped"/>, logged at Warning once per interval). Delivery is at most once: TCP syslog has
/// no acknowledgement (RFC 5425), so what the kernel had accepted when a connection broke may be lost. A repository
/// sends nothing back (syslog messages travel one way), so a read kept pending on the connection sees at once when it
/// closes it or refuses the client certificate, instead of at the next write.
/// </summary>
public sealed partial class SyslogForwarder : BackgroundService
{
    private const long DropLogIntervalMs = 10_000;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DrainOnStop = TimeSpan.FromSeconds(5);

    // In TLS 1.3 the client's certificate and Finished are the handshake's last flight (RFC 8446 2): the client has
    // finished before the server checked the certificate, and a refusal comes as an alert just after. Waiting this
    // long for it before the first write keeps records from being written into a connection the repository closes.
    private static readonly TimeSpan ClientCertificateVerdictWait = TimeSpan.FromMilliseconds(500);

    private readonly Channel<AuditRecord>? _queue;
    private readonly SyslogOptions _options;
    private readonly X509Certificate2Collection? _trustedRoots;
    private readonly SyslogClientCertificate? _clientCertificate;
    private readonly string _aeTitle;
    private readonly string _hostName = Environment.MachineName;
    private readonly int _processId = Environment.ProcessId;
    private readonly ILogger<SyslogForwarder> _logger;
    private readonly CancellationTokenSource _abort = new();
    private long _dropped;
    private long _droppedSinceLogged;
    private long _lastDropLogged = Environment.TickCount64 - DropLogIntervalMs;
    private long _sent;

    public SyslogForwarder(IOptions<SyslogOptions> options, IOptions<GatewayHostOptions> host, ILogger<SyslogForwarder> logger)
    {
        _options = options.Value;
        _aeTitle = host.Value.AeTitle;
        _logger = logger;
        if (string.IsNullOrWhiteSpace(_options.Host))
        {
            return;
        }

        if (_options.CaFile.Length > 0)
        {
            // Read once at start: a missing or unreadable CA file stops the gateway with the reason.
            _trustedRoots = [];
            _trustedRoots.ImportFromPemFile(_options.CaFile);
        }

        if (_options.ClientCertificateFile.Length > 0)
        {
            // Read once here as well: a missing file, a wrong password or a certificate without its key stops the gateway.
            _clientCertificate = new SyslogClientCertificate(_options);
            LogClientCertificate(_logger, _clientCertificate.Certificate.Subject, _clientCertificate.Certificate.NotAfter.ToUniversalTime());
            if (_clientCertificate.KeyReadableByOthers() is { } readable)
            {
                LogKeyReadable(_logger, readable);
            }
        }

        _queue = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, _ => CountDropped());
    }

    /// <summary>Records dropped because the queue was full (the repository unreachable for long), since start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Messages written to the connection, since start.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Queues the records of a written batch; never waits. Nothing when forwarding is off.</summary>
    public void Enqueue(IReadOnlyList<AuditRecord> records)
    {
        if (_queue is null)
        {
            return;
        }

        foreach (var record in records)
        {
            _queue.Writer.TryWrite(record);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Registered before the AuditWriter, so stopped after it: its last batch is queued by now. Send what is
        // queued for a few seconds, then give up (the rows are in the database).
        _queue?.Writer.TryComplete();
        if (ExecuteTask is { } loop)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(DrainOnStop);
            await loop.WaitAsync(limit.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _abort.CancelAsync().ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _abort.Dispose();
        _clientCertificate?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_queue is null)
        {
            return;
        }
        // Not the stopping token: the loop ends when the queue is closed and sent, or when StopAsync gives up.
        var token = _abort.Token;
        var reader = _queue.Reader;
        byte[]? pending = null;
        var delay = TimeSpan.FromSeconds(1);
        while (!token.IsCancellationRequested)
        {
            try
            {
                using var client = new TcpClient { NoDelay = true };
                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(token))
                {
                    connect.CancelAfter(ConnectTimeout);
                    await client.ConnectAsync(_options.Host, _options.Port, connect.Token).ConfigureAwait(false);
                }

                await using var stream = await SecureAsync(client.GetStream(), token).ConfigureAwait(false);
                using var connection = CancellationTokenSource.CreateLinkedTokenSource(token);
                var ended = WatchEndAsync(stream, connection.Token);
                try
                {
                    if (_clientCertificate is not null && stream is SslStream { SslProtocol: SslProtocols.Tls13 })
                    {
                        await Task.WhenAny(ended, Task.Delay(ClientCertificateVerdictWait, token)).ConfigureAwait(false);
                    }

                    await ThrowIfEndedAsync(ended).ConfigureAwait(false);
                    LogConnected(_logger, _options.Host, _options.Port, _options.Tls, _clientCertificate is not null);
                    delay = TimeSpan.FromSeconds(1);
                    while (true)
                    {
                        if (pending is null)
                        {
                            if (!reader.TryRead(out var record))
                            {
                                await stream.FlushAsync(token).ConfigureAwait(false);
                                // A record to send, or the repository ending the connection, whichever comes first.
                                var more = reader.WaitToReadAsync(connection.Token).AsTask();
                                await Task.WhenAny(more, ended).ConfigureAwait(false);
                                await ThrowIfEndedAsync(ended).ConfigureAwait(false);
                                if (!await more.ConfigureAwait(false))
                                {
                                    return;
                                }

                                continue;
                            }

                            pending = SyslogMessage.Frame(record, _aeTitle, _hostName, _processId);
                        }

                        await ThrowIfEndedAsync(ended).ConfigureAwait(false);
                        await stream.WriteAsync(pending, token).ConfigureAwait(false);
                        pending = null;
                        Interlocked.Increment(ref _sent);
                    }
                }
                finally
                {
                    // Ends the pending read (and a wait for records) before the stream is disposed.
                    await connection.CancelAsync().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or SocketException or AuthenticationException or OperationCanceledException)
            {
                // The message being written (if any) is sent again on the next connection.
                LogUnreachable(_logger, _options.Host, _options.Port, delay.TotalSeconds, ex);
                try
                {
                    await Task.Delay(delay, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
            }
        }
    }

    /// <summary>
    /// Completes when the repository ends the connection: a clean close (null), a TLS alert such as a refused client
    /// certificate, or a reset (the exception). Whatever a repository sends, which it should not, is read and ignored.
    /// </summary>
    private static async Task<Exception?> WatchEndAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[256];
        try
        {
            while (await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
            {
            }

            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ex;
        }
    }

    private static async Task ThrowIfEndedAsync(Task<Exception?> ended)
    {
        if (ended.IsCompleted)
        {
            var reason = await ended.ConfigureAwait(false);
            throw new IOException("The audit repository ended the connection" + (reason is null ? "." : ": " + reason.Message), reason);
        }
    }

    /// <summary>
    /// TLS 1.2/1.3 with the repository's certificate checked against its host name and the CA file (RFC 5425 5.1), and
    /// the client certificate when one is configured, or plain TCP.
    /// </summary>
    private async Task<Stream> SecureAsync(NetworkStream network, CancellationToken cancellationToken)
    {
        if (!_options.Tls)
        {
            return network;
        }

        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            var authentication = new SslClientAuthenticationOptions
            {
                TargetHost = _options.Host,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            };
            if (_trustedRoots is not null)
            {
                // Only these roots; a private CA publishes no revocation list the gateway could reach.
                var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
                policy.CustomTrustStore.AddRange(_trustedRoots);
                authentication.CertificateChainPolicy = policy;
            }

            if (_clientCertificate is not null)
            {
                // Offered when the repository asks for one (RFC 5425 4.2.1: both ends authenticate by certificate).
                authentication.ClientCertificateContext = _clientCertificate.Next(out var reloadError);
                if (reloadError is not null)
                {
                    LogClientCertificateReloadFailed(_logger, reloadError);
                }
            }

            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            handshake.CancelAfter(ConnectTimeout);
            await tls.AuthenticateAsClientAsync(authentication, handshake.Token).ConfigureAwait(false);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private void CountDropped()
    {
        Interlocked.Increment(ref _dropped);
        var pending = Interlocked.Increment(ref _droppedSinceLogged);
        var last = Volatile.Read(ref _lastDropLogged);
        var now = Environment.TickCount64;
        if (now - last < DropLogIntervalMs || Interlocked.CompareExchange(ref _lastDropLogged, now, last) != last)
        {
            return;
        }

        Interlocked.Add(ref _droppedSinceLogged, -pending);
        LogDropped(_logger, pending, Dropped);
    }

    [LoggerMessage(EventId = 7310, Level = LogLevel.Information, Message = "Audit forwarding connected to {Host}:{Port} (TLS: {Tls}, client certificate: {ClientCertificate})")]
    private static partial void LogConnected(ILogger logger, string host, int port, bool tls, bool clientCertificate);

    [LoggerMessage(EventId = 7313, Level = LogLevel.Information, Message = "Audit forwarding offers the client certificate {Subject} (valid until {NotAfter:u})")]
    private static partial void LogClientCertificate(ILogger logger, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 7314, Level = LogLevel.Warning, Message = "The audit client certificate's key file {Path} is readable by group or others; make it readable by the gateway's user only (0600 or 0400)")]
    private static partial void LogKeyReadable(ILogger logger, string path);

    [LoggerMessage(EventId = 7315, Level = LogLevel.Warning, Message = "The audit client certificate's files changed but could not be read; the previous certificate is still offered")]
    private static partial void LogClientCertificateReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7311, Level = LogLevel.Warning, Message = "Audit repository {Host}:{Port} unreachable; retrying in {DelaySeconds} s")]
    private static partial void LogUnreachable(ILogger logger, string host, int port, double delaySeconds, Exception exception);

    [LoggerMessage(EventId = 7312, Level = LogLevel.Warning, Message = "Audit forwarding queue full: {Dropped} oldest messages dropped since the last such message ({Total} since start); the rows are in the database")]
    private static partial void LogDropped(ILogger logger, long dropped, long total);
}
