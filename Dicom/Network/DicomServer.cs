using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Pacs.Dicom.Network;

public sealed record DicomServerOptions
{
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>0 picks a free port (see <see cref="DicomServer.Port"/>).</summary>
    public int Port { get; init; } = 104;

    /// <summary>Concurrent associations; beyond, A-ASSOCIATE-RJ transient "local limit exceeded" (PS3.8 Table 9-21).</summary>
    public int MaxAssociations { get; init; } = 64;

    /// <summary>Concurrent connections from one IP address (negotiating or associated); null: only the node bound.</summary>
    public int? MaxAssociationsPerAddress { get; init; }

    /// <summary>Concurrent associations of one calling AE title; null: only the node bound.</summary>
    public int? MaxAssociationsPerCallingAe { get; init; }

    /// <summary>
    /// Connections past a bound being answered with A-ASSOCIATE-RJ at the same time (each costs a read of the
    /// request, bounded by a short ARTIM); past this too, connections are closed at once.
    /// </summary>
    public int MaxConcurrentRejections { get; init; } = 64;

    public DicomAssociationOptions Association { get; init; } = new();
}

/// <summary>
/// A standalone acceptor: a socket accept loop with a bound on concurrent associations. Connections past the
/// bound get a transient rejection and are closed, so a flood is refused rather than collapsing the server.
/// </summary>
public sealed class DicomServer : IAsyncDisposable
{
    private readonly DicomServerOptions _options;
    private readonly DicomAcceptor _acceptor;
    private readonly AssociationLimiter _limiter;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, byte> _connections = new();
    private Task _acceptLoop = Task.CompletedTask;

    public DicomServer(DicomServerOptions options, IAssociationPolicy policy, DicomServiceProviders providers)
    {
        _options = options;
        _acceptor = new DicomAcceptor(options.Association, policy, providers);
        _limiter = new AssociationLimiter(new AssociationLimits
        {
            MaxAssociations = options.MaxAssociations,
            MaxAssociationsPerAddress = options.MaxAssociationsPerAddress ?? options.MaxAssociations,
            MaxAssociationsPerCallingAe = options.MaxAssociationsPerCallingAe ?? options.MaxAssociations,
            MaxConcurrentRejections = options.MaxConcurrentRejections,
        });
        _listener = new Socket(options.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
    }

    /// <summary>The port actually listened on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>Connections holding a slot: negotiating or associated.</summary>
    public int ActiveAssociations => _limiter.ActiveConnections;

    public void Start()
    {
        _listener.Bind(new IPEndPoint(_options.Address, _options.Port));
        _listener.Listen(512);
        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }
            socket.NoDelay = true;
            Task task;
            if (_limiter.TryEnter(socket.RemoteEndPoint, out _) is { } slot)
            {
                task = ServeAsync(socket, slot, cancellationToken);
            }
            // Rejecting costs a read of the A-ASSOCIATE-RQ; that is bounded too, and beyond it the socket is just closed.
            else if (_limiter.TryEnterRejection() is { } rejection)
            {
                task = RefuseAsync(socket, rejection, cancellationToken);
            }
            else
            {
                socket.Dispose();
                continue;
            }
            _connections.TryAdd(task, 0);
            _ = task.ContinueWith(t => _connections.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket socket, AssociationSlot slot, CancellationToken cancellationToken)
    {
        using var held = slot;
        try
        {
            await Task.Yield();
            await _acceptor.RunAsync(SocketTransport.Create(socket), socket.RemoteEndPoint, cancellationToken, admit: slot.AdmitCallingAe).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            socket.Dispose(); // RunAsync handles protocol errors; this guards the loop against the unexpected
        }
    }

    private async Task RefuseAsync(Socket socket, IDisposable rejection, CancellationToken cancellationToken)
    {
        using var held = rejection;
        try
        {
            await Task.Yield();
            await _acceptor.RejectAsync(SocketTransport.Create(socket), AssociationLimiter.LocalLimitExceeded, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try { await _acceptLoop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        try { await Task.WhenAll(_connections.Keys).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException) { }
        _stop.Dispose();
    }
}
