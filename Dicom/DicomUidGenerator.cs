using System.Numerics;

namespace Pacs.Dicom;

/// <summary>UIDs derived from a UUID under the 2.25 arc (PS3.5 B.2): unique without a registered root.</summary>
public static class DicomUidGenerator
{
    /// <summary>Implementation Class UID of Clinton PACS (PS3.7 D.3.3.2), itself a 2.25 UUID-derived UID.</summary>
    public const string ImplementationClassUid = "2.25.119414804540670951453931746646025385115";

    /// <summary>Implementation Version Name (up to 16 characters, PS3.7 D.3.3.2.3).</summary>
    public const string ImplementationVersionName = "CLINTONPACS_01";

    /// <summary>
    /// A UID derived from <paramref name="name"/> (the same name gives the same UID): a 2.25 UID of a name-based UUID
    /// (RFC 9562 version 8 over SHA-256; PS3.5 B.2).
    /// </summary>
    public static string FromName(string name)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name), hash);
        Span<byte> bytes = stackalloc byte[17];
        hash[..16].CopyTo(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // variant 10
        bytes[16] = 0;
        bytes[..16].Reverse();
        return "2.25." + new BigInteger(bytes, isUnsigned: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string Generate()
    {
        Span<byte> bytes = stackalloc byte[17];
        Guid.NewGuid().TryWriteBytes(bytes[..16], bigEndian: true, out _);
        bytes[16] = 0; // keep the number positive when read little-endian below
        bytes[..16].Reverse();
        return "2.25." + new BigInteger(bytes, isUnsigned: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
