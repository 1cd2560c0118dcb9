using System.Buffers.Binary;

namespace Pacs.Dicom.Codecs;

/// <summary>
/// A data set whose encapsulated Pixel Data is decoded into one native value (PS3.5 8.1.1), for a peer that accepted
/// only native transfer syntaxes (C-GET and C-MOVE sub-operations, PS3.4 C.4.2.3.1 / C.4.3.3.1). What decoding
/// changes in the header goes with it: the decoded Photometric Interpretation (PS3.5 8.2), Planar Configuration 0,
/// Lossy Image Compression "01" after a lossy syntax (PS3.3 C.7.6.1.1.5), the Extended Offset Table dropped (PS3.5 A.4).
/// Holds the instance and its decoded pixels in memory, one frame's codestream at a time.
/// </summary>
public static class NativePixelData
{
    /// <summary>
    /// Decodes <paramref name="dataset"/> (read whole, fragments in memory) in place. A data set without encapsulated
    /// Pixel Data is returned unchanged. Throws <see cref="DicomFormatException"/> for pixel data that cannot be decoded
    /// (no decoder, incomplete Image Pixel module, frames that cannot be told apart, a damaged codestream) and
    /// <see cref="CodecUnavailableException"/> when the codec's library is missing.
    /// </summary>
    public static DicomDataset Decode(DicomDataset dataset, DicomTransferSyntax stored)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(stored);
        if (!dataset.TryGetElement(DicomTag.PixelData, out var pixel) || pixel.Fragments is not { } fragments)
        {
            return dataset;
        }

        var decoder = FrameDecoders.Find(stored) ?? throw new DicomFormatException($"Pixel data in {stored.Name} cannot be decoded here", 0, DicomTag.PixelData);
        var geometry = FrameGeometry.FromDataset(dataset) ?? throw new DicomFormatException("The Image Pixel module is incomplete: the pixel data cannot be decoded", 0, DicomTag.PixelData);
        if (fragments.Items.Any(f => f.Bulk is not null))
        {
            throw new ArgumentException("The fragments must be read into memory.", nameof(dataset));
        }

        var frameCount = Math.Max(1, dataset.GetInt32(DicomTag.NumberOfFrames) ?? 1);
        var lengths = fragments.Items.Select(f => (long)f.Data.Length).ToList();
        var groups = FrameFragments.Group(lengths, FrameOffsets(dataset, fragments), frameCount)
            ?? FrameFragments.GroupByStarts(fragments.Items.Select(f => FrameFragments.IsCodestreamStart(f.Data.Span)).ToList(), frameCount)
            ?? throw new DicomFormatException($"The fragments cannot be assigned to frames ({fragments.Items.Count} fragments for {frameCount} frames)", 0, DicomTag.PixelData);
        var length = groups.Count * geometry.Length;
        var padded = length + (length & 1); // PS3.5 7.1.1: values have an even length
        if (padded > Array.MaxLength)
        {
            throw new DicomFormatException("The decoded pixel data would exceed what one value can hold", 0, DicomTag.PixelData);
        }

        var pixels = new byte[padded];
        for (var f = 0; f < groups.Count; f++)
        {
            long encodedLength = 0;
            foreach (var i in groups[f])
            {
                encodedLength += fragments.Items[i].Data.Length;
            }
            // A compressed frame may exceed its decoded size a little (incompressible data); more is refused.
            if (encodedLength > geometry.Length * 2 + 64 * 1024)
            {
                throw new DicomFormatException($"Frame {f + 1} is {encodedLength} bytes compressed, more than its {geometry.Length} bytes decoded allow", 0, DicomTag.PixelData);
            }

            ReadOnlyMemory<byte> encoded;
            if (groups[f].Length == 1)
            {
                encoded = fragments.Items[groups[f][0]].Data;
            }
            else
            {
                var joined = new byte[encodedLength];
                var at = 0;
                foreach (var i in groups[f])
                {
                    fragments.Items[i].Data.Span.CopyTo(joined.AsSpan(at));
                    at += fragments.Items[i].Data.Length;
                }
                encoded = joined;
            }
            decoder.Decode(encoded, geometry).AsSpan().CopyTo(pixels.AsSpan((int)(f * geometry.Length)));
        }

        if (dataset.GetString(DicomTag.PhotometricInterpretation) is { } photometric)
        {
            dataset.SetString(DicomTag.PhotometricInterpretation, DicomVR.CS, FrameDecoders.DecodedPhotometric(stored, photometric.Trim()));
        }

        if (geometry.SamplesPerPixel > 1)
        {
            dataset.SetUInt16(DicomTag.PlanarConfiguration, DicomVR.US, 0);
        }

        if (stored.IsLossy)
        {
            dataset.SetString(DicomTag.LossyImageCompression, DicomVR.CS, "01");
        }

        dataset.Remove(DicomTag.ExtendedOffsetTable);
        dataset.Remove(DicomTag.ExtendedOffsetTableLengths);
        // PS3.5 8.1.1 / A.1: OB for 8 bits allocated, else OW.
        dataset.Set(new DicomElement(DicomTag.PixelData, geometry.BitsAllocated > 8 ? DicomVR.OW : DicomVR.OB, pixels));
        return dataset;
    }

    /// <summary>Frame starts from the Extended Offset Table (OV, PS3.5 A.4) or a non-empty Basic Offset Table (32-bit).</summary>
    private static List<ulong>? FrameOffsets(DicomDataset dataset, DicomFragments fragments)
    {
        if (dataset.TryGetElement(DicomTag.ExtendedOffsetTable, out var extended) && extended.Value.Length >= 8)
        {
            var span = extended.Value.Span;
            var list = new List<ulong>(span.Length / 8);
            for (var i = 0; i + 8 <= span.Length; i += 8)
            {
                list.Add(BinaryPrimitives.ReadUInt64LittleEndian(span[i..]));
            }

            return list;
        }
        var table = fragments.BasicOffsetTable.Span;
        if (table.Length < 4)
        {
            return null;
        }

        var offsets = new List<ulong>(table.Length / 4);
        for (var i = 0; i + 4 <= table.Length; i += 4)
        {
            offsets.Add(BinaryPrimitives.ReadUInt32LittleEndian(table[i..]));
        }

        return offsets;
    }
}
