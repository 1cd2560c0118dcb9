using Pacs.Dicom;

namespace Pacs.Gateway.DicomWeb;

/// <summary>The media type of frames and pixel bulk data per stored transfer syntax (PS3.18 Table 8.7.3-2, -3).</summary>
public static class PixelMediaTypes
{
    public const string OctetStream = "application/octet-stream";
    public const string Dicom = "application/dicom";
    public const string DicomJson = "application/dicom+json";

    /// <summary>What a frame of <paramref name="stored"/> is sent as, with the transfer-syntax parameter to name.</summary>
    public static Representation ForFrames(DicomTransferSyntax stored)
    {
        // Native data goes as little-endian octets (big-endian is swapped on the way out): PS3.18 8.7.3.3.2.
        if (!stored.IsEncapsulated)
        {
            return new Representation(OctetStream, DicomTransferSyntax.ExplicitVRLittleEndian.Uid);
        }

        var uid = stored.Uid;
        var type = uid switch
        {
            "1.2.840.10008.1.2.4.50" or "1.2.840.10008.1.2.4.51" or "1.2.840.10008.1.2.4.57" or "1.2.840.10008.1.2.4.70" => "image/jpeg",
            "1.2.840.10008.1.2.4.80" or "1.2.840.10008.1.2.4.81" => "image/jls",
            "1.2.840.10008.1.2.4.90" or "1.2.840.10008.1.2.4.91" => "image/jp2",
            "1.2.840.10008.1.2.4.92" or "1.2.840.10008.1.2.4.93" => "image/jpx",
            "1.2.840.10008.1.2.4.201" or "1.2.840.10008.1.2.4.202" or "1.2.840.10008.1.2.4.203" => "image/jphc",
            "1.2.840.10008.1.2.4.110" or "1.2.840.10008.1.2.4.111" or "1.2.840.10008.1.2.4.112" => "image/jxl",
            "1.2.840.10008.1.2.5" => "image/dicom-rle",
            "1.2.840.10008.1.2.4.100" or "1.2.840.10008.1.2.4.100.1" or "1.2.840.10008.1.2.4.101" or "1.2.840.10008.1.2.4.101.1" => "video/mpeg",
            "1.2.840.10008.1.2.4.107" or "1.2.840.10008.1.2.4.108" => "video/H265",
            _ when uid.StartsWith("1.2.840.10008.1.2.4.10", StringComparison.Ordinal) => "video/mp4", // .102-.106(.1): H.264
            _ when uid.StartsWith("1.2.840.10008.1.2.4.", StringComparison.Ordinal) && IsRetiredJpeg(uid) => "image/jpeg",
            _ => OctetStream,
        };
        return new Representation(type, uid);
    }

    public static bool IsVideo(DicomTransferSyntax syntax) => ForFrames(syntax).MediaType.StartsWith("video/", StringComparison.Ordinal);

    private static bool IsRetiredJpeg(string uid) =>
        int.TryParse(uid.AsSpan("1.2.840.10008.1.2.4.".Length), out var n) && n is >= 52 and <= 66;
}
