using System.Text;

namespace Pacs.Dicom.Text;

/// <summary>
/// Decodes and encodes string values per Specific Character Set (0008,0005), PS3.5 6.1 and Annex H-K.
/// PLACEHOLDER implementation: default repertoire, ISO_IR 100 and ISO_IR 192 only; replaced by the full one.
/// </summary>
public sealed class DicomCharacterSet
{
    private readonly Encoding _encoding;

    private DicomCharacterSet(string[] terms, Encoding encoding)
    {
        Terms = terms;
        _encoding = encoding;
    }

    /// <summary>ISO_IR 6 (the default repertoire). Bytes above 0x7F are decoded as Latin-1 for leniency.</summary>
    public static DicomCharacterSet Default { get; } = new([], Encoding.Latin1);

    /// <summary>The defined terms of (0008,0005), in order.</summary>
    public IReadOnlyList<string> Terms { get; }

    /// <summary>Parses the raw value of (0008,0005) (backslash separated, padding allowed).</summary>
    public static DicomCharacterSet FromSpecificCharacterSet(string value)
    {
        var terms = value.Split('\\').Select(t => t.Trim(' ', '\0')).ToArray();
        var last = terms.LastOrDefault(t => t.Length > 0) ?? "";
        return last switch
        {
            "ISO_IR 192" => new(terms, Encoding.UTF8),
            _ => new(terms, Encoding.Latin1),
        };
    }

    /// <summary>Decodes a whole element value (all values, backslashes kept) of a VR that uses the character set.</summary>
    public string Decode(ReadOnlySpan<byte> bytes, DicomVR vr) => _encoding.GetString(bytes);

    /// <summary>Encodes a whole element value (unpadded).</summary>
    public byte[] Encode(string text, DicomVR vr) => _encoding.GetBytes(text);
}
