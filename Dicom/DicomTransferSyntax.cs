namespace Pacs.Dicom;

/// <summary>
/// A transfer syntax (PS3.5 10, UIDs from PS3.6 Table A-1) with the properties that decide how a data set is
/// encoded. Encapsulated syntaxes are carried as fragments and never decoded by this library.
/// </summary>
public sealed record DicomTransferSyntax(
    string Uid,
    string Name,
    bool IsExplicitVR,
    bool IsBigEndian,
    bool IsDeflated,
    bool IsEncapsulated,
    bool IsLossy = false,
    bool IsRetired = false)
{
    public static readonly DicomTransferSyntax ImplicitVRLittleEndian = new("1.2.840.10008.1.2", "Implicit VR Little Endian", false, false, false, false);
    public static readonly DicomTransferSyntax ExplicitVRLittleEndian = new("1.2.840.10008.1.2.1", "Explicit VR Little Endian", true, false, false, false);
    public static readonly DicomTransferSyntax EncapsulatedUncompressedExplicitVRLittleEndian = new("1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed Explicit VR Little Endian", true, false, false, true);
    public static readonly DicomTransferSyntax DeflatedExplicitVRLittleEndian = new("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", true, false, true, false);
    public static readonly DicomTransferSyntax ExplicitVRBigEndian = new("1.2.840.10008.1.2.2", "Explicit VR Big Endian", true, true, false, false, IsRetired: true);
    public static readonly DicomTransferSyntax JPEGBaseline8Bit = Encap("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", lossy: true);
    public static readonly DicomTransferSyntax JPEGExtended12Bit = Encap("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", lossy: true);
    public static readonly DicomTransferSyntax JPEGLossless = Encap("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)");
    public static readonly DicomTransferSyntax JPEGLosslessSV1 = Encap("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])");
    public static readonly DicomTransferSyntax JPEGLSLossless = Encap("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression");
    public static readonly DicomTransferSyntax JPEGLSNearLossless = Encap("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless) Image Compression", lossy: true);
    public static readonly DicomTransferSyntax JPEG2000Lossless = Encap("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)");
    public static readonly DicomTransferSyntax JPEG2000 = Encap("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression", lossy: true);
    public static readonly DicomTransferSyntax JPEG2000MCLossless = Encap("1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)");
    public static readonly DicomTransferSyntax JPEG2000MC = Encap("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component Image Compression", lossy: true);
    public static readonly DicomTransferSyntax JPIPReferenced = new("1.2.840.10008.1.2.4.94", "JPIP Referenced", true, false, false, false);
    public static readonly DicomTransferSyntax JPIPReferencedDeflate = new("1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate", true, false, true, false);
    public static readonly DicomTransferSyntax MPEG2MPML = Encap("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level", lossy: true);
    public static readonly DicomTransferSyntax MPEG2MPMLF = Encap("1.2.840.10008.1.2.4.100.1", "Fragmentable MPEG2 Main Profile / Main Level", lossy: true);
    public static readonly DicomTransferSyntax MPEG2MPHL = Encap("1.2.840.10008.1.2.4.101", "MPEG2 Main Profile / High Level", lossy: true);
    public static readonly DicomTransferSyntax MPEG2MPHLF = Encap("1.2.840.10008.1.2.4.101.1", "Fragmentable MPEG2 Main Profile / High Level", lossy: true);
    public static readonly DicomTransferSyntax MPEG4HP41 = Encap("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1", lossy: true);
    public static readonly DicomTransferSyntax MPEG4HP41F = Encap("1.2.840.10008.1.2.4.102.1", "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1", lossy: true);
    public static readonly DicomTransferSyntax MPEG4HP41BD = Encap("1.2.840.10008.1.2.4.103", "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1", lossy: true);
    public static readonly DicomTransferSyntax MPEG4HP41BDF = Encap("1.2.840.10008.1.2.4.103.1", "Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1", lossy: true);
    public static readonly DicomTransferSyntax MPEG4HP422D = Encap("1.2.840.10008.1.2.4.104", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video", lossy: true);
    public static readonly DicomTransferSyntax MPEG4HP422DF = Encap("1.2.840.10008.1.2.4.104.1", "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video", lossy: true);
    public static readonly DicomTransferSyntax MPEG4HP423D = Encap("1.2.840.10008.1.2.4.105", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video", lossy: true);
    public static readonly DicomTransferSyntax MPEG4HP423DF = Encap("1.2.840.10008.1.2.4.105.1", "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video", lossy: true);
    public static readonly DicomTransferSyntax MPEG4HP42ST = Encap("1.2.840.10008.1.2.4.106", "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2", lossy: true);
    public static readonly DicomTransferSyntax MPEG4HP42STF = Encap("1.2.840.10008.1.2.4.106.1", "Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2", lossy: true);
    public static readonly DicomTransferSyntax HEVCMP51 = Encap("1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile / Level 5.1", lossy: true);
    public static readonly DicomTransferSyntax HEVCM10P51 = Encap("1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile / Level 5.1", lossy: true);
    // PS3.6 2024a Table A-1 (Sup 232): JPEG XL.
    public static readonly DicomTransferSyntax JPEGXLLossless = Encap("1.2.840.10008.1.2.4.110", "JPEG XL Lossless");
    public static readonly DicomTransferSyntax JPEGXLJPEGRecompression = Encap("1.2.840.10008.1.2.4.111", "JPEG XL JPEG Recompression");
    public static readonly DicomTransferSyntax JPEGXL = Encap("1.2.840.10008.1.2.4.112", "JPEG XL", lossy: true);
    // PS3.6 2023c Table A-1 (Sup 235): High-Throughput JPEG 2000.
    public static readonly DicomTransferSyntax HTJ2KLossless = Encap("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Image Compression (Lossless Only)");
    public static readonly DicomTransferSyntax HTJ2KLosslessRPCL = Encap("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)");
    public static readonly DicomTransferSyntax HTJ2K = Encap("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000 Image Compression", lossy: true);
    public static readonly DicomTransferSyntax JPIPHTJ2KReferenced = new("1.2.840.10008.1.2.4.204", "JPIP HTJ2K Referenced", true, false, false, false);
    public static readonly DicomTransferSyntax JPIPHTJ2KReferencedDeflate = new("1.2.840.10008.1.2.4.205", "JPIP HTJ2K Referenced Deflate", true, false, true, false);
    public static readonly DicomTransferSyntax RLELossless = Encap("1.2.840.10008.1.2.5", "RLE Lossless");
    public static readonly DicomTransferSyntax SMPTEST211020UncompressedProgressiveActiveVideo = new("1.2.840.10008.1.2.7.1", "SMPTE ST 2110-20 Uncompressed Progressive Active Video", true, false, false, false);
    public static readonly DicomTransferSyntax SMPTEST211020UncompressedInterlacedActiveVideo = new("1.2.840.10008.1.2.7.2", "SMPTE ST 2110-20 Uncompressed Interlaced Active Video", true, false, false, false);
    public static readonly DicomTransferSyntax SMPTEST211030PCMDigitalAudio = new("1.2.840.10008.1.2.7.3", "SMPTE ST 2110-30 PCM Digital Audio", true, false, false, false);

    // Retired JPEG processes (PS3.6 Table A-1, retired): still met in archives, carried as fragments.
    private static readonly string[] RetiredJpeg =
        ["52", "53", "54", "55", "56", "58", "59", "60", "61", "62", "63", "64", "65", "66"];

    private static DicomTransferSyntax Encap(string uid, string name, bool lossy = false, bool retired = false) =>
        new(uid, name, true, false, false, true, lossy, retired);

    /// <summary>Every transfer syntax this library can read and write (uncompressed ones converted, others carried).</summary>
    public static IReadOnlyList<DicomTransferSyntax> All { get; } = BuildAll();

    private static readonly Dictionary<string, DicomTransferSyntax> ByUid = All.ToDictionary(t => t.Uid, StringComparer.Ordinal);

    public static DicomTransferSyntax? Find(string uid) => ByUid.GetValueOrDefault(uid.TrimEnd('\0', ' '));

    /// <summary>
    /// Known syntax, or for an unknown UID an assumption the standard allows: every transfer syntax defined since
    /// 2000 is explicit VR little endian with encapsulated pixel data (PS3.5 A.4), so an unknown one is read that way.
    /// </summary>
    public static DicomTransferSyntax Resolve(string uid) =>
        Find(uid) ?? new DicomTransferSyntax(uid.TrimEnd('\0', ' '), "Unknown", true, false, false, true);

    /// <summary>Native (uncompressed) encodings: Implicit LE, Explicit LE, Explicit BE and Deflated LE.</summary>
    public bool IsNative => !IsEncapsulated;

    public override string ToString() => Name;

    private static List<DicomTransferSyntax> BuildAll()
    {
        // Listed explicitly (no reflection at type initialisation); a test checks every field is here.
        List<DicomTransferSyntax> list =
        [
            ImplicitVRLittleEndian, ExplicitVRLittleEndian, EncapsulatedUncompressedExplicitVRLittleEndian,
            DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLossless,
            JPEGLosslessSV1, JPEGLSLossless, JPEGLSNearLossless, JPEG2000Lossless, JPEG2000, JPEG2000MCLossless,
            JPEG2000MC, JPIPReferenced, JPIPReferencedDeflate, MPEG2MPML, MPEG2MPMLF, MPEG2MPHL, MPEG2MPHLF,
            MPEG4HP41, MPEG4HP41F, MPEG4HP41BD, MPEG4HP41BDF, MPEG4HP422D, MPEG4HP422DF, MPEG4HP423D, MPEG4HP423DF,
            MPEG4HP42ST, MPEG4HP42STF, HEVCMP51, HEVCM10P51, JPEGXLLossless, JPEGXLJPEGRecompression, JPEGXL,
            HTJ2KLossless, HTJ2KLosslessRPCL, HTJ2K, JPIPHTJ2KReferenced, JPIPHTJ2KReferencedDeflate, RLELossless,
            SMPTEST211020UncompressedProgressiveActiveVideo, SMPTEST211020UncompressedInterlacedActiveVideo,
            SMPTEST211030PCMDigitalAudio,
        ];
        foreach (var p in RetiredJpeg)
        {
            list.Add(Encap("1.2.840.10008.1.2.4." + p, "JPEG (retired process " + p + ")", lossy: true, retired: true));
        }

        return list;
    }
}
