using Pacs.Dicom.Dictionary;
using Xunit.Sdk;

namespace Pacs.Dicom.Tests.IO;

/// <summary>Element-by-element comparison of data sets, recursing into sequences and fragments.</summary>
internal static class DatasetAssert
{
    /// <param name="implicitVR">The second data set went through implicit VR: its VRs come from the dictionary,
    /// so VRs are compared only where the dictionary fixes a single VR.</param>
    public static void Equivalent(DicomDataset expected, DicomDataset actual, bool implicitVR, string context)
    {
        var e = expected.Where(x => !x.Tag.IsGroupLength).ToList();
        var a = actual.Where(x => !x.Tag.IsGroupLength).ToList();
        if (e.Count != a.Count)
        {
            throw new XunitException($"{context}: {e.Count} elements expected, {a.Count} read: first difference " +
                FirstDifference(e, a));
        }

        for (var i = 0; i < e.Count; i++)
        {
            var x = e[i];
            var y = a[i];
            var where = $"{context} {x.Tag}";
            if (x.Tag != y.Tag)
            {
                throw new XunitException($"{where}: tag {y.Tag} read instead");
            }

            if (!implicitVR && x.VR != y.VR && !(y.VR == DicomVR.UN))
            {
                throw new XunitException($"{where}: VR {x.VR} expected, {y.VR} read");
            }

            if (x.Sequence is { } xs)
            {
                var ys = y.Sequence;
                if (ys is null)
                {
                    // A sequence written in implicit VR whose tag the dictionary does not know comes back as UN bytes.
                    if (implicitVR && y.VR == DicomVR.UN)
                    {
                        continue;
                    }

                    throw new XunitException($"{where}: sequence expected");
                }
                if (xs.Items.Count != ys.Items.Count)
                {
                    throw new XunitException($"{where}: {xs.Items.Count} items expected, {ys.Items.Count} read");
                }

                for (var j = 0; j < xs.Items.Count; j++)
                {
                    Equivalent(xs.Items[j], ys.Items[j], implicitVR, $"{where}[{j}]");
                }

                continue;
            }
            if (x.Fragments is { } xf)
            {
                var yf = y.Fragments ?? throw new XunitException($"{where}: fragments expected");
                Assert.Equal(xf.BasicOffsetTable.ToArray(), yf.BasicOffsetTable.ToArray());
                Assert.Equal(xf.Items.Count, yf.Items.Count);
                for (var j = 0; j < xf.Items.Count; j++)
                {
                    if (!Padded(xf.Items[j].Data.Span).SequenceEqual(Padded(yf.Items[j].Data.Span)))
                    {
                        throw new XunitException($"{where}: fragment {j} differs");
                    }
                }

                continue;
            }
            if (x.Bulk is { } xb)
            {
                Assert.Equal(xb.Length, y.Bulk?.Length);
                continue;
            }
            if (!PaddedEqual(x.Value.Span, y.Value.Span, x.VR))
            {
                throw new XunitException($"{where}: value differs ({x.Value.Length} vs {y.Value.Length} bytes)");
            }
        }
    }

    private static string FirstDifference(List<DicomElement> e, List<DicomElement> a)
    {
        for (var i = 0; i < Math.Min(e.Count, a.Count); i++)
        {
            if (e[i].Tag != a[i].Tag)
            {
                return $"{e[i].Tag} vs {a[i].Tag}";
            }
        }

        return e.Count > a.Count ? $"missing {e[a.Count].Tag}" : $"extra {a[e.Count].Tag}";
    }

    private static byte[] Padded(ReadOnlySpan<byte> s) => (s.Length & 1) == 1 ? [.. s, 0] : s.ToArray();

    private static bool PaddedEqual(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, DicomVR vr)
    {
        if (x.SequenceEqual(y))
        {
            return true;
        }
        // An odd-length value comes back padded to even length (PS3.5 7.1.1).
        return x.Length + 1 == y.Length && y[..x.Length].SequenceEqual(x) && (y[^1] == vr.PaddingByte || y[^1] == 0);
    }

    public static DicomVR DictionaryVR(DicomTag tag) => DicomDictionary.GetDefaultVR(tag);
}
