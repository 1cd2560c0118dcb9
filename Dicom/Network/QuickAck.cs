using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Pacs.Dicom.Network;

/// <summary>
/// Acknowledges what a peer sent as soon as the association has read it (Linux TCP_QUICKACK, re-armed on every read:
/// the kernel does not keep it). A peer with Nagle's algorithm on — Debian's dcmtk, unless TCP_NODELAY=1 is in its
/// environment, and other toolkits — holds back the last, partial segment of a PDU until everything it sent before is
/// acknowledged, and once a connection looks interactive (we answer every request) Linux delays that acknowledgement
/// by up to 40 ms. Every C-STORE then stalls: storescu without TCP_NODELAY stored 21 tiny instances/s here (340 with
/// it) and 69 CT instances/s. Re-arming costs an acknowledgement packet per read, which a peer that sends without
/// delay does not need (15 % fewer tiny instances/s in A/B pairs), so a connection starts without it and switches it
/// on for good once a read has waited as long as such a stall (<see cref="StallThreshold"/>); an idle peer switches it
/// on too, at no cost that matters. Elsewhere than on Linux the transport is returned unchanged.
/// </summary>
public static class QuickAck
{
    private const int IpProtoTcp = 6;
    private const int TcpQuickAck = 12;
    private static readonly byte[] On = BitConverter.GetBytes(1);

    /// <summary>A read that waited this long may have been a delayed acknowledgement's stall (Linux delays up to 40 ms).</summary>
    public static readonly TimeSpan StallThreshold = TimeSpan.FromMilliseconds(25);

    /// <summary><paramref name="transport"/> with a reader that re-arms quick acknowledgement on <paramref name="socket"/>.</summary>
    public static IDuplexPipe Wrap(IDuplexPipe transport, Socket? socket)
    {
        ArgumentNullException.ThrowIfNull(transport);
        return socket is null || !OperatingSystem.IsLinux() || socket.ProtocolType != ProtocolType.Tcp
            ? transport
            : new Duplex(new Reader(transport.Input, socket), transport.Output);
    }

    private static void Rearm(Socket socket)
    {
        try
        {
            // Also sends an acknowledgement that is already pending (tcp_setsockopt: TCP_QUICKACK, Linux tcp(7)).
            socket.SetRawSocketOption(IpProtoTcp, TcpQuickAck, On);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The connection is going away; the read that follows reports it.
        }
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    private sealed class Reader(PipeReader inner, Socket socket) : PipeReader
    {
        // Whether every read re-arms quick acknowledgement: true once a read has waited a stall's time.
        private bool _armed;

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var read = inner.ReadAsync(cancellationToken);
            if (!read.IsCompletedSuccessfully)
            {
                return AwaitAsync(read);
            }

            if (_armed)
            {
                Rearm(socket);
            }

            return read;
        }

        private async ValueTask<ReadResult> AwaitAsync(ValueTask<ReadResult> read)
        {
            var started = Stopwatch.GetTimestamp();
            var result = await read.ConfigureAwait(false);
            _armed |= Stopwatch.GetElapsedTime(started) >= StallThreshold;
            if (_armed)
            {
                Rearm(socket);
            }

            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            if (_armed)
            {
                Rearm(socket);
            }

            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }
}
