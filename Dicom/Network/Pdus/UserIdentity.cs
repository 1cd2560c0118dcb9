using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>User identity type of the user identity negotiation sub-item (PS3.7 D.3.3.7.1).</summary>
public enum UserIdentityType : byte
{
    Username = 1,
    UsernameAndPasscode = 2,
    Kerberos = 3,
    Saml = 4,
    Jwt = 5,
}

/// <summary>
/// User identity negotiation sub-item of the requestor (58h, PS3.7 D.3.3.7.1). The primary field holds the
/// username, Kerberos ticket, SAML assertion or JWT; the secondary field the passcode (type 2 only).
/// </summary>
public sealed record UserIdentityRequest(UserIdentityType Type, bool PositiveResponseRequested, ReadOnlyMemory<byte> PrimaryField, ReadOnlyMemory<byte> SecondaryField)
{
    internal const byte ItemType = 0x58;

    /// <summary>The primary field as text (username, SAML assertion, JWT); UTF-8 per PS3.7 D.3.3.7.1.</summary>
    public string PrimaryText => System.Text.Encoding.UTF8.GetString(PrimaryField.Span);
    public string SecondaryText => System.Text.Encoding.UTF8.GetString(SecondaryField.Span);

    public static UserIdentityRequest ForUsername(string username, string? passcode = null, bool positiveResponseRequested = false) =>
        new(passcode is null ? UserIdentityType.Username : UserIdentityType.UsernameAndPasscode, positiveResponseRequested,
            System.Text.Encoding.UTF8.GetBytes(username), passcode is null ? default : System.Text.Encoding.UTF8.GetBytes(passcode));

    internal int BodyLength => 1 + 1 + 2 + PrimaryField.Length + 2 + SecondaryField.Length;

    internal void Write(IBufferWriter<byte> w)
    {
        PduBinary.WriteItemHeader(w, ItemType, BodyLength);
        PduBinary.WriteByte(w, (byte)Type);
        PduBinary.WriteByte(w, PositiveResponseRequested ? (byte)1 : (byte)0);
        PduBinary.WriteUInt16(w, (ushort)PrimaryField.Length);
        PduBinary.WriteBytes(w, PrimaryField.Span);
        PduBinary.WriteUInt16(w, (ushort)SecondaryField.Length);
        PduBinary.WriteBytes(w, SecondaryField.Span);
    }

    internal static UserIdentityRequest Read(ref SequenceReader<byte> r, long origin)
    {
        var type = PduBinary.ReadByte(ref r, origin);
        if (type is < 1 or > 5)
        {
            throw new DicomFormatException($"unknown user identity type {type}", origin + r.Consumed);
        }

        var positive = PduBinary.ReadByte(ref r, origin) != 0;
        var primary = PduBinary.ReadBytes(ref r, PduBinary.ReadUInt16(ref r, origin), origin);
        // The secondary-field-length is present for every type; it is non-zero only for type 2.
        var secondary = r.Remaining >= 2 ? PduBinary.ReadBytes(ref r, PduBinary.ReadUInt16(ref r, origin), origin) : [];
        return new UserIdentityRequest((UserIdentityType)type, positive, primary, secondary);
    }
}

/// <summary>
/// User identity negotiation sub-item of the acceptor (59h, PS3.7 D.3.3.7.2): sent only when the requestor asked
/// for a positive response; holds the Kerberos server ticket, SAML response or JWT (empty for username types).
/// </summary>
public sealed record UserIdentityResponse(ReadOnlyMemory<byte> ServerResponse)
{
    internal const byte ItemType = 0x59;

    internal void Write(IBufferWriter<byte> w)
    {
        PduBinary.WriteItemHeader(w, ItemType, 2 + ServerResponse.Length);
        PduBinary.WriteUInt16(w, (ushort)ServerResponse.Length);
        PduBinary.WriteBytes(w, ServerResponse.Span);
    }

    internal static UserIdentityResponse Read(ref SequenceReader<byte> r, long origin) =>
        new(PduBinary.ReadBytes(ref r, PduBinary.ReadUInt16(ref r, origin), origin));
}
