using System.Runtime.InteropServices;

namespace Pacs.Dicom.Codecs;

/// <summary>
/// The decoders of encapsulated transfer syntaxes, one per family: what rendering and conversion to a native syntax
/// use. Encoders are not offered: the archive stores what it receives.
/// </summary>
public static class FrameDecoders
{
    private static readonly IFrameDecoder Rle = new RleDecoder();
    private static readonly IFrameDecoder JpegLs = new JpegLsDecoder();
    private static readonly IFrameDecoder Jpeg2000 = new Jpeg2000Decoder();
    private static readonly IFrameDecoder Jpeg = new JpegDecoder();
    private static readonly IFrameDecoder JpegLossless = new JpegLosslessDecoder();

    /// <summary>The decoder of <paramref name="syntax"/>; null when its pixel data cannot be decoded here.</summary>
    public static IFrameDecoder? Find(DicomTransferSyntax syntax) => syntax.Uid switch
    {
        "1.2.840.10008.1.2.5" => Rle, // PS3.5 A.4.2
        "1.2.840.10008.1.2.4.80" or "1.2.840.10008.1.2.4.81" => JpegLs, // PS3.5 A.4.3
        "1.2.840.10008.1.2.4.90" or "1.2.840.10008.1.2.4.91" or "1.2.840.10008.1.2.4.92" or "1.2.840.10008.1.2.4.93" => Jpeg2000, // PS3.5 A.4.4
        "1.2.840.10008.1.2.4.201" or "1.2.840.10008.1.2.4.202" or "1.2.840.10008.1.2.4.203" => Jpeg2000, // PS3.5 A.4.11 (HTJ2K)
        "1.2.840.10008.1.2.4.50" or "1.2.840.10008.1.2.4.51" => Jpeg, // PS3.5 A.4.1, processes 1, 2 and 4
        "1.2.840.10008.1.2.4.57" or "1.2.840.10008.1.2.4.70" => JpegLossless, // PS3.5 A.4.1, process 14
        _ => null,
    };

    /// <summary>
    /// Whether <paramref name="syntax"/> has a decoder whose native library loads on this host (libcharls2 for
    /// JPEG-LS, libopenjp2-7 for JPEG 2000): what a server may offer before it sends the first byte.
    /// </summary>
    public static bool CanDecode(DicomTransferSyntax syntax) => Find(syntax) switch
    {
        null => false,
        JpegLsDecoder => CharLsLoads.Value,
        Jpeg2000Decoder => OpenJpegLoads.Value,
        _ => true,
    };

    private static readonly Lazy<bool> CharLsLoads = new(() => Loads(JpegLsDecoder.Library));
    private static readonly Lazy<bool> OpenJpegLoads = new(() => Loads(Jpeg2000Decoder.Library));

    private static bool Loads(string library)
    {
        if (!NativeLibrary.TryLoad(library, typeof(FrameDecoders).Assembly, null, out var handle))
        {
            return false;
        }

        NativeLibrary.Free(handle);
        return true;
    }

    /// <summary>
    /// The Photometric Interpretation of decoded pixels (PS3.5 8.2): JPEG 2000's colour transforms are undone by the
    /// decoder (YBR_RCT, YBR_ICT to RGB, PS3.5 8.2.4); a YBR_FULL_422 JPEG frame decodes to full-resolution YBR_FULL
    /// (PS3.3 C.7.6.3.1.2); everything else is unchanged.
    /// </summary>
    public static string DecodedPhotometric(DicomTransferSyntax syntax, string photometric) => photometric switch
    {
        "YBR_RCT" or "YBR_ICT" when Find(syntax) == Jpeg2000 => "RGB",
        "YBR_FULL_422" or "YBR_PARTIAL_422" when Find(syntax) == Jpeg => "YBR_FULL",
        _ => photometric,
    };
}
