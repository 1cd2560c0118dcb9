using System.Collections.Frozen;

namespace Pacs.Dicom;

/// <summary>
/// The UID registry of PS3.6 Table A-1: a constant per keyword and <see cref="Find"/> for names. The bulk is
/// generated from the 2022 registry (DicomUids.g.cs); UIDs added to the standard since are listed below by hand.
/// </summary>
public static partial class DicomUids
{
    // Transfer syntaxes newer than the 2022 inputs, from PS3.6 2023/2024 Table A-1:
    // fragmentable MPEG-2/MPEG-4 (added after 2022b), High-Throughput JPEG 2000 and JPIP HTJ2K (Sup 235, 2023c),
    // JPEG XL (Sup 232, 2024a). Names and keywords as the standard spells them.
    public const string MPEG2MPMLF = "1.2.840.10008.1.2.4.100.1";
    public const string MPEG2MPHLF = "1.2.840.10008.1.2.4.101.1";
    public const string MPEG4HP41F = "1.2.840.10008.1.2.4.102.1";
    public const string MPEG4HP41BDF = "1.2.840.10008.1.2.4.103.1";
    public const string MPEG4HP422DF = "1.2.840.10008.1.2.4.104.1";
    public const string MPEG4HP423DF = "1.2.840.10008.1.2.4.105.1";
    public const string MPEG4HP42STEREOF = "1.2.840.10008.1.2.4.106.1";
    public const string JPEGXLLossless = "1.2.840.10008.1.2.4.110";
    public const string JPEGXLJPEGRecompression = "1.2.840.10008.1.2.4.111";
    public const string JPEGXL = "1.2.840.10008.1.2.4.112";
    public const string HTJ2KLossless = "1.2.840.10008.1.2.4.201";
    public const string HTJ2KLosslessRPCL = "1.2.840.10008.1.2.4.202";
    public const string HTJ2K = "1.2.840.10008.1.2.4.203";
    public const string JPIPHTJ2KReferenced = "1.2.840.10008.1.2.4.204";
    public const string JPIPHTJ2KReferencedDeflate = "1.2.840.10008.1.2.4.205";

    private static DicomUidInfo[] CreateSupplementaryTable() =>
    [
        Ts(MPEG2MPMLF, "Fragmentable MPEG2 Main Profile / Main Level", nameof(MPEG2MPMLF)),
        Ts(MPEG2MPHLF, "Fragmentable MPEG2 Main Profile / High Level", nameof(MPEG2MPHLF)),
        Ts(MPEG4HP41F, "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1", nameof(MPEG4HP41F)),
        Ts(MPEG4HP41BDF, "Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1", nameof(MPEG4HP41BDF)),
        Ts(MPEG4HP422DF, "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video", nameof(MPEG4HP422DF)),
        Ts(MPEG4HP423DF, "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video", nameof(MPEG4HP423DF)),
        Ts(MPEG4HP42STEREOF, "Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2", nameof(MPEG4HP42STEREOF)),
        Ts(JPEGXLLossless, "JPEG XL Lossless", nameof(JPEGXLLossless)),
        Ts(JPEGXLJPEGRecompression, "JPEG XL JPEG Recompression", nameof(JPEGXLJPEGRecompression)),
        Ts(JPEGXL, "JPEG XL", nameof(JPEGXL)),
        Ts(HTJ2KLossless, "High-Throughput JPEG 2000 Image Compression (Lossless Only)", nameof(HTJ2KLossless)),
        Ts(HTJ2KLosslessRPCL, "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)", nameof(HTJ2KLosslessRPCL)),
        Ts(HTJ2K, "High-Throughput JPEG 2000 Image Compression", nameof(HTJ2K)),
        Ts(JPIPHTJ2KReferenced, "JPIP HTJ2K Referenced", nameof(JPIPHTJ2KReferenced)),
        Ts(JPIPHTJ2KReferencedDeflate, "JPIP HTJ2K Referenced Deflate", nameof(JPIPHTJ2KReferencedDeflate)),
    ];

    private static DicomUidInfo Ts(string uid, string name, string keyword) => new(uid, name, keyword, "Transfer Syntax", false);

    /// <summary>Every registered UID: the 2022 registry in UID order, then the newer ones above.</summary>
    public static IReadOnlyList<DicomUidInfo> All => Registry.AllReadOnly;

    /// <summary>
    /// The Storage SOP Classes (PS3.4 Annex B): every registry SOP Class whose name contains "Storage"
    /// ("... Storage", "... Storage - For Presentation", "... Storage - Trial", "... Storage SOP Class"), except
    /// Storage Commitment and Media Storage Directory Storage (see is_storage_sop_class in generate.py).
    /// Retired ones are included: an archive still receives them.
    /// </summary>
    public static IReadOnlyList<string> StorageSopClasses => Registry.StorageReadOnly;

    /// <summary>True when <paramref name="sopClassUid"/> is one of <see cref="StorageSopClasses"/>.</summary>
    public static bool IsStorageSopClass(string sopClassUid) => Registry.Storage.Contains(Trim(sopClassUid));

    /// <summary>
    /// The registry row of <paramref name="uid"/>, or null for an unregistered (e.g. private) UID. Trailing NUL or
    /// space padding, as read from an even-length UI value (PS3.5 6.2), is ignored.
    /// </summary>
    public static DicomUidInfo? Find(string uid)
    {
        ArgumentNullException.ThrowIfNull(uid);
        return Registry.ByUid.GetValueOrDefault(Trim(uid));
    }

    /// <summary>
    /// PS3.5 9.1: 1 to 64 characters, digits and dots, no empty component. The one UID syntax check of the archive
    /// (identifying UIDs at ingest, UI matching keys, DICOMweb path UIDs); padding is not removed here.
    /// </summary>
    public static bool IsValid(string uid)
    {
        if (uid.Length is 0 or > 64 || uid[0] == '.' || uid[^1] == '.' || uid.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in uid)
        {
            if (c != '.' && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string Trim(string uid) => uid.TrimEnd('\0', ' ');

    // Built on first use.
    private static class Registry
    {
        internal static readonly DicomUidInfo[] All = [.. CreateGeneratedTable(), .. CreateSupplementaryTable()];

        internal static readonly FrozenDictionary<string, DicomUidInfo> ByUid =
            All.ToFrozenDictionary(u => u.Uid, StringComparer.Ordinal);

        internal static readonly IReadOnlyList<DicomUidInfo> AllReadOnly = Array.AsReadOnly(All);

        internal static readonly IReadOnlyList<string> StorageReadOnly = Array.AsReadOnly(_generatedStorageSopClasses);

        internal static readonly FrozenSet<string> Storage =
            _generatedStorageSopClasses.ToFrozenSet(StringComparer.Ordinal);
    }
}
