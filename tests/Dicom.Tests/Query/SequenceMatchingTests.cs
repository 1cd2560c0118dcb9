using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Query.QueryTestData;

namespace Pacs.Dicom.Tests.Query;

public sealed class SequenceMatchingTests
{
    private static DicomDataset WithReferencedStudies(params (string SopClass, string Instance)[] items)
    {
        var ds = Dataset((PatientID, "LO", "P1"));
        var sq = new DicomSequence();
        foreach (var (c, i) in items)
        {
            sq.Items.Add(Dataset((ReferencedSOPClassUID, "UI", c), (ReferencedSOPInstanceUID, "UI", i)));
        }

        ds.Set(new DicomTag(ReferencedStudySequence), sq);
        return ds;
    }

    [Fact]
    public void Sequence_QidoKeywordPath_BuildsSequenceMatching()
    {
        var q = Study(("ReferencedStudySequence.ReferencedSOPClassUID", "1.2.3"));
        var key = Assert.Single(q.Keys);
        Assert.Equal(new DicomTag(ReferencedStudySequence), key.Tag);
        var m = Assert.IsType<SequenceMatching>(key.Matching);
        var inner = Assert.Single(m.ItemKeys);
        Assert.Equal(new DicomTag(ReferencedSOPClassUID), inner.Tag);
        Assert.Equal(new SingleValueMatching("1.2.3"), inner.Matching);
    }

    [Fact]
    public void Sequence_QidoTagPaths_ShareOneItem()
    {
        var q = Study(("00081110.00081150", "1.2.3"), ("00081110.00081155", "9.9"));
        var m = Assert.IsType<SequenceMatching>(Assert.Single(q.Keys).Matching);
        Assert.Equal(2, m.ItemKeys.Count);
        Assert.True(InMemoryMatcher.Matches(q, WithReferencedStudies(("1.2.4", "9.8"), ("1.2.3", "9.9"))));
        // Both keys must hold in the same item.
        Assert.False(InMemoryMatcher.Matches(q, WithReferencedStudies(("1.2.3", "9.8"), ("1.2.4", "9.9"))));
    }

    [Fact]
    public void Sequence_AbsentInCandidate_DoesNotMatch()
    {
        var q = Study(("ReferencedStudySequence.ReferencedSOPClassUID", "1.2.3"));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((PatientID, "LO", "P1"))));
    }

    [Fact]
    public void Sequence_DimseItemWithKey_MatchesAnyItem()
    {
        var id = Identifier("STUDY");
        id.Set(new DicomTag(ReferencedStudySequence), new DicomSequence([Dataset((ReferencedSOPClassUID, "UI", "1.2.3"), (ReferencedSOPInstanceUID, "UI", ""))]));
        var q = Find(id);
        var rk = Assert.Single(q.ReturnKeys);
        Assert.Equal(2, rk.ItemKeys!.Count);
        Assert.True(InMemoryMatcher.Matches(q, WithReferencedStudies(("1.2.4", "1"), ("1.2.3", "2"))));
        Assert.False(InMemoryMatcher.Matches(q, WithReferencedStudies(("1.2.4", "1"))));
    }

    [Fact]
    public void Sequence_DimseEmptySequence_IsUniversalAndReturnedWhole()
    {
        var id = Identifier("STUDY");
        id.Set(new DicomTag(ReferencedStudySequence), new DicomSequence());
        var q = Find(id);
        Assert.Empty(q.Keys);
        Assert.Null(Assert.Single(q.ReturnKeys).ItemKeys);
    }

    [Fact]
    public void Sequence_DimseTwoItems_IsUnableToProcess()
    {
        var id = Identifier("STUDY");
        id.Set(new DicomTag(ReferencedStudySequence), new DicomSequence([Dataset((ReferencedSOPClassUID, "UI", "1.2")), Dataset((ReferencedSOPClassUID, "UI", "1.3"))]));
        var result = DicomQuery.FromIdentifier(id, QueryRetrieveSopClass.StudyRootFind, false);
        Assert.False(result.IsSuccess);
        Assert.Equal((ushort)0xC000, result.Error.DimseStatus);
        Assert.Equal(new DicomTag(ReferencedStudySequence), result.Error.OffendingElement);
    }

    [Fact]
    public void Sequence_QidoValueOnSequenceItself_IsRejected()
    {
        QidoError(QueryLevel.Study, ("ReferencedStudySequence", "1.2.3"));
    }

    [Fact]
    public void Sequence_QidoPathThroughNonSequence_IsRejected()
    {
        var error = QidoError(QueryLevel.Study, ("PatientName.PatientID", "x"));
        Assert.Contains("not a sequence", error.Message);
    }
}
