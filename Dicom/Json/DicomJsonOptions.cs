using System.Text;

namespace Pacs.Dicom.Json;

/// <summary>How <see cref="DicomJsonWriter"/> renders a data set in the DICOM JSON Model (PS3.18 Annex F).</summary>
public sealed class DicomJsonOptions
{
    public static DicomJsonOptions Default { get; } = new();

    /// <summary>
    /// Values of OB, OD, OF, OL, OV, OW and UN this many bytes long or longer (value length, not base64 length) are
    /// written as "BulkDataURI" when <see cref="BulkDataUriBuilder"/> is set; shorter ones as "InlineBinary".
    /// PS3.18 leaves the choice to the origin server; 1024 bytes keeps small LUTs, overlays and private blobs
    /// inline and sends pixel data, waveforms and the like to WADO-RS bulk data.
    /// </summary>
    public int BulkDataThreshold { get; init; } = 1024;

    /// <summary>
    /// Builds the "BulkDataURI" for a value the writer does not inline: a binary value at or over the threshold,
    /// encapsulated pixel data (always), a <see cref="BulkDataReference"/> (value not loaded). Returning null omits
    /// the value (the attribute is written as {"vr":"XX"}). When this is null: in-memory values are inlined whatever
    /// their size, encapsulated and not-loaded values are omitted.
    /// </summary>
    public Func<BulkDataContext, string?>? BulkDataUriBuilder { get; init; }
}

/// <summary>One step of the path to an element: the tag, and for a step into a sequence the item index (else -1).</summary>
public readonly record struct DicomPathStep(DicomTag Tag, int ItemIndex);

/// <summary>What a bulk data URI builder gets: where the element is, the data set holding it, the element itself.</summary>
public readonly record struct BulkDataContext(IReadOnlyList<DicomPathStep> Path, DicomDataset Dataset, DicomElement Element)
{
    /// <summary>The path as "00540016/0/00181072" (tag, item index, tag, ...), the shape PS3.18 uses in examples.</summary>
    public string FormatPath(char separator = '/')
    {
        var sb = new StringBuilder(Path.Count * 11);
        foreach (var step in Path)
        {
            if (sb.Length > 0)
            {
                sb.Append(separator);
            }

            sb.Append(step.Tag.ToHexString());
            if (step.ItemIndex >= 0)
            {
                sb.Append(separator).Append(step.ItemIndex);
            }
        }
        return sb.ToString();
    }
}

/// <summary>Limits for <see cref="DicomJsonReader"/>; JSON from the network is hostile until proven otherwise.</summary>
public sealed class DicomJsonReaderOptions
{
    public static DicomJsonReaderOptions Default { get; } = new();

    /// <summary>Deepest sequence nesting accepted (items within items). Real objects stay well under 16.</summary>
    public int MaxSequenceDepth { get; init; } = 32;

    /// <summary>Largest stream the Stream overloads buffer (bytes).</summary>
    public long MaxInputBytes { get; init; } = 256L * 1024 * 1024;
}
