using Pacs.Dicom.IO;
using Pacs.Dicom.Tests.Corpus;

namespace Pacs.Dicom.Tests.IO;

public sealed class DicomReaderAllocationTests
{
    [Theory]
    [InlineData("CT_small.dcm")]
    [InlineData("MR_small.dcm")]
    [InlineData("rtplan.dcm")]
    public void ReadFile_HeaderOnlyFromMemory_NoPerElementValueAllocation(string name)
    {
        var bytes = File.ReadAllBytes(CorpusFiles.PathOf(name));
        DicomReader.ReadFile(bytes, DicomReadOptions.HeaderOnly); // warm up (JIT, dictionary)
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = DicomReader.ReadFile(bytes, DicomReadOptions.HeaderOnly);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var elements = CountElements(result.Dataset) + CountElements(result.FileMetaInformation!);
        // Values are slices of the source: what is left is the element lists (a 32-byte struct per element, grown
        // by doubling), one object per data set or sequence, and a fixed overhead (result, parser, frame stack).
        var bound = 3072 + ListCost(result.Dataset) + ListCost(result.FileMetaInformation!);
        Assert.True(allocated <= bound, $"{name}: {allocated} bytes for {elements} elements (bound {bound})");
    }

    private static int CountElements(DicomDataset ds)
    {
        var n = 0;
        foreach (var e in ds)
        {
            n++;
            if (e.Sequence is { } s)
            {
                foreach (var item in s.Items)
                {
                    n += CountElements(item);
                }
            }
        }
        return n;
    }

    /// <summary>Bytes that List&lt;DicomElement&gt; allocates growing to hold a data set, plus ~200 per data set or sequence object.</summary>
    private static long ListCost(DicomDataset ds)
    {
        long cost = 200;
        for (var capacity = 4; ; capacity *= 2)
        {
            cost += 24 + capacity * 32L;
            if (capacity >= ds.Count)
            {
                break;
            }
        }
        foreach (var e in ds)
        {
            if (e.Sequence is { } s)
            {
                cost += 200;
                foreach (var item in s.Items)
                {
                    cost += ListCost(item);
                }
            }
        }

        return cost;
    }
}
