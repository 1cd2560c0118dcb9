using System.IO.Pipelines;
using Pacs.Dicom.Network;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>
/// An acceptor and a client joined by in-memory pipes. One side's output counts its flushes (each is a send on a
/// socket transport) and its PDUs are recorded on their way to the other side (<see cref="PduTap"/>).
/// </summary>
internal sealed class TappedLink : IAsyncDisposable
{
    private readonly Task _server;
    private readonly CancellationTokenSource _stop;

    private TappedLink(DicomClient client, CountingPipeWriter output, PduTap tap, Task server, CancellationTokenSource stop)
    {
        Client = client;
        Output = output;
        Tap = tap;
        _server = server;
        _stop = stop;
    }

    /// <summary>Whose output is counted and tapped.</summary>
    public enum Side
    {
        Acceptor,
        Client,
    }

    public DicomClient Client { get; }

    /// <summary>The tapped side's output, as it flushed.</summary>
    public CountingPipeWriter Output { get; }

    /// <summary>The tapped side's PDUs, as the other side received them.</summary>
    public PduTap Tap { get; }

    /// <summary>Ends with the link (30 s at most).</summary>
    public CancellationToken Token => _stop.Token;

    public static async Task<TappedLink> StartAsync(
        Side tapped, DicomServiceProviders providers, PresentationContextRequest context, uint? acceptorMaxPdu = null, uint? clientMaxPdu = null)
    {
        var toAcceptor = new Pipe();
        var toClient = new Pipe();
        var toTap = new Pipe();
        var output = new CountingPipeWriter(toTap.Writer);
        var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var tap = PduTap.Start(toTap.Reader, tapped == Side.Acceptor ? toClient.Writer : toAcceptor.Writer, stop.Token);
        var options = new DicomAssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(5), DimseTimeout = TimeSpan.FromSeconds(10) };
        var acceptor = new DicomAcceptor(acceptorMaxPdu is { } a ? options with { MaxReceivePduLength = a } : options, Policy(), providers);
        var server = acceptor.RunAsync(new Duplex(toAcceptor.Reader, tapped == Side.Acceptor ? output : toClient.Writer), null, stop.Token);
        var client = await DicomClient.ConnectAsync(new Duplex(toClient.Reader, tapped == Side.Client ? output : toAcceptor.Writer), null, new DicomClientOptions
        {
            CalledAeTitle = "ARCHIVE",
            PresentationContexts = [context],
            Association = clientMaxPdu is { } c ? options with { MaxReceivePduLength = c } : options,
        }, stop.Token);
        return new TappedLink(client, output, tap, server, stop);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.ReleaseAsync(_stop.Token);
        await Client.DisposeAsync();
        await _server.WaitAsync(_stop.Token);
        _stop.Dispose();
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
