using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>
/// SCP/SCU role selection sub-item (54h, PS3.7 D.3.3.4): for one SOP class, whether the requestor proposes (or
/// the acceptor accepts) to act as SCU and as SCP. C-GET needs the requestor to be storage SCP.
/// </summary>
public readonly record struct RoleSelection(string SopClassUid, bool ScuRole, bool ScpRole)
{
    internal const byte ItemType = 0x54;

    internal int BodyLength => 2 + PduBinary.AsciiLength(SopClassUid) + 2;

    internal void Write(IBufferWriter<byte> w)
    {
        PduBinary.WriteItemHeader(w, ItemType, BodyLength);
        PduBinary.WriteUInt16(w, (ushort)PduBinary.AsciiLength(SopClassUid));
        PduBinary.WriteAscii(w, SopClassUid);
        PduBinary.WriteByte(w, ScuRole ? (byte)1 : (byte)0);
        PduBinary.WriteByte(w, ScpRole ? (byte)1 : (byte)0);
    }

    internal static RoleSelection Read(ref SequenceReader<byte> r, long origin)
    {
        var uidLength = PduBinary.ReadUInt16(ref r, origin);
        var uid = PduBinary.ReadAscii(ref r, uidLength, origin);
        var scu = PduBinary.ReadByte(ref r, origin) != 0;
        var scp = PduBinary.ReadByte(ref r, origin) != 0;
        return new RoleSelection(uid, scu, scp);
    }
}

/// <summary>Asynchronous operations window sub-item (53h, PS3.7 D.3.3.3); 0 means unlimited.</summary>
public readonly record struct AsynchronousOperationsWindow(ushort MaxOperationsInvoked, ushort MaxOperationsPerformed)
{
    internal const byte ItemType = 0x53;
}
