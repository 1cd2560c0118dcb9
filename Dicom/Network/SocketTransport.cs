using System.IO.Pipelines;
using System.Net.Sockets;

namespace Pacs.Dicom.Network;

/// <summary>Wraps a connected socket as the <see cref="IDuplexPipe"/> the association runs on.</summary>
public static class SocketTransport
{
    public static IDuplexPipe Create(Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        // The writer leaves the stream open; completing the reader (done last on close) disposes stream and socket.
        return QuickAck.Wrap(new DuplexPipe(
            PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 8 * 1024, leaveOpen: false)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true))), socket);
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
