using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Tests.Network;

/// <summary>
/// Copies whole PDUs from one pipe to another and records, for each P-DATA-TF, the message control headers of its
/// PDVs in order (PS3.8 9.3.5.1, E.2) and its length (the PDU-length field).
/// </summary>
internal sealed class PduTap
{
    private readonly ConcurrentQueue<byte[]> _pdataPdus = new();
    private readonly ConcurrentQueue<long> _pdataLengths = new();

    public IReadOnlyList<byte[]> PDataPdus => [.. _pdataPdus];

    public IReadOnlyList<long> PDataLengths => [.. _pdataLengths];

    public static PduTap Start(PipeReader from, PipeWriter to, CancellationToken cancellationToken)
    {
        var tap = new PduTap();
        _ = tap.PumpAsync(from, to, cancellationToken);
        return tap;
    }

    private async Task PumpAsync(PipeReader from, PipeWriter to, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var result = await from.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                while (buffer.Length >= PduHeader.Size)
                {
                    var length = PduHeader.Size + BinaryPrimitives.ReadUInt32BigEndian(buffer.Slice(2, 4).ToArray());
                    if (buffer.Length < length)
                    {
                        break;
                    }

                    var pdu = buffer.Slice(0, length).ToArray();
                    if (pdu[0] == (byte)PduType.PDataTransfer)
                    {
                        _pdataLengths.Enqueue(length - PduHeader.Size);
                        var controls = new List<byte>();
                        for (var at = PduHeader.Size; at < pdu.Length; at += 4 + (int)BinaryPrimitives.ReadUInt32BigEndian(pdu.AsSpan(at)))
                        {
                            controls.Add(pdu[at + 5]);
                        }

                        _pdataPdus.Enqueue([.. controls]);
                    }
                    await to.WriteAsync(pdu, cancellationToken);
                    buffer = buffer.Slice(length);
                }
                from.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        await to.CompleteAsync();
        await from.CompleteAsync();
    }
}
