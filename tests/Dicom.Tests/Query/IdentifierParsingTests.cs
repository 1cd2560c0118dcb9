using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Query.QueryTestData;

namespace Pacs.Dicom.Tests.Query;

public sealed class IdentifierParsingTests
{
    private static QueryError FindError(DicomDataset id, string sopClass = QueryRetrieveSopClass.StudyRootFind, bool relational = false)
    {
        var result = DicomQuery.FromIdentifier(id, sopClass, relational);
        Assert.False(result.IsSuccess);
        return result.Error;
    }

    [Fact]
    public void Identifier_StudyRootStudyLevel_ReadsLevelModelKeysAndReturnKeys()
    {
        var q = Find(Identifier("STUDY", (PatientName, "PN", "DOE*"), (StudyDate, "DA", "20200101-"), (StudyInstanceUID, "UI", ""), (NumberOfStudyRelatedInstances, "IS", "")));
        Assert.Equal(QueryLevel.Study, q.Level);
        Assert.Equal(QueryModel.StudyRoot, q.Model);
        Assert.False(q.Relational);
        Assert.Equal(2, q.Keys.Count);
        Assert.Equal(4, q.ReturnKeys.Count);
        Assert.DoesNotContain(q.ReturnKeys, r => r.Tag == new DicomTag(0x00080052));
    }

    [Fact]
    public void Identifier_MissingLevel_IsA900WithElement()
    {
        var error = FindError(Dataset((PatientName, "PN", "")));
        Assert.Equal(QueryErrorKind.IdentifierDoesNotMatchSopClass, error.Kind);
        Assert.Equal((ushort)0xA900, error.DimseStatus);
        Assert.Equal(new DicomTag(0x00080052), error.OffendingElement);
    }

    [Theory]
    [InlineData("WORKLIST")]
    [InlineData("study")]
    [InlineData("")]
    public void Identifier_BadLevel_IsA900(string level)
    {
        var error = FindError(Identifier(level, (PatientName, "PN", "")));
        Assert.Equal((ushort)0xA900, error.DimseStatus);
        Assert.Equal(new DicomTag(0x00080052), error.OffendingElement);
    }

    [Fact]
    public void Identifier_PatientLevelInStudyRoot_IsA900()
    {
        var error = FindError(Identifier("PATIENT", (PatientID, "LO", "")));
        Assert.Equal((ushort)0xA900, error.DimseStatus);
    }

    [Fact]
    public void Identifier_PatientLevelInPatientRoot_IsAccepted()
    {
        var q = Find(Identifier("PATIENT", (PatientID, "LO", "P*")), sopClass: QueryRetrieveSopClass.PatientRootFind);
        Assert.Equal(QueryModel.PatientRoot, q.Model);
        Assert.Equal(QueryLevel.Patient, Assert.Single(q.Keys).Level);
    }

    [Fact]
    public void Identifier_RetiredPatientStudyOnly_IsRefused()
    {
        var error = FindError(Identifier("STUDY"), QueryRetrieveSopClass.PatientStudyOnlyFind);
        Assert.Equal(QueryErrorKind.SopClassNotSupported, error.Kind);
        Assert.Equal((ushort)0x0122, error.DimseStatus);
    }

    [Fact]
    public void Identifier_MoveAndGetSopClasses_MapToTheirModels()
    {
        Assert.Equal(QueryModel.PatientRoot, Find(Identifier("STUDY", (PatientID, "LO", "P1")), sopClass: QueryRetrieveSopClass.PatientRootMove).Model);
        Assert.Equal(QueryModel.StudyRoot, Find(Identifier("STUDY"), sopClass: QueryRetrieveSopClass.StudyRootGet).Model);
    }

    [Fact]
    public void Identifier_HierarchicalSeriesWithoutStudyUid_IsA900()
    {
        var error = FindError(Identifier("SERIES", (Modality, "CS", "CT")));
        Assert.Equal((ushort)0xA900, error.DimseStatus);
        Assert.Equal(new DicomTag(StudyInstanceUID), error.OffendingElement);
    }

    [Fact]
    public void Identifier_HierarchicalSeriesWithUidList_IsA900()
    {
        var error = FindError(Identifier("SERIES", (StudyInstanceUID, "UI", @"1.2\1.3")));
        Assert.Equal((ushort)0xA900, error.DimseStatus);
    }

    [Fact]
    public void Identifier_PatientRootImage_NeedsEveryHigherUniqueKey()
    {
        var error = FindError(Identifier("IMAGE", (PatientID, "LO", "P1"), (SeriesInstanceUID, "UI", "1.2.3")), QueryRetrieveSopClass.PatientRootFind);
        Assert.Equal(new DicomTag(StudyInstanceUID), error.OffendingElement);

        var q = Find(Identifier("IMAGE", (PatientID, "LO", "P1"), (StudyInstanceUID, "UI", "1.2"), (SeriesInstanceUID, "UI", "1.2.3"), (SOPInstanceUID, "UI", "")),
            sopClass: QueryRetrieveSopClass.PatientRootFind);
        Assert.Equal([new DicomTag(PatientID), new DicomTag(StudyInstanceUID), new DicomTag(SeriesInstanceUID)], q.HigherLevelUniqueKeys.Select(k => k.Tag));
    }

    [Theory]
    [InlineData(QueryRetrieveSopClass.StudyRootFind)]
    [InlineData(QueryRetrieveSopClass.PatientRootFind)]
    public void Identifier_HierarchicalImageWithOnlyStudyUid_IsAnsweredAcrossTheStudy(string sopClass)
    {
        // What workstations send (no Series Instance UID, in Patient Root no Patient ID either): lenient, not A900.
        var q = Find(Identifier("IMAGE", (StudyInstanceUID, "UI", "1.2"), (SOPInstanceUID, "UI", ""), (0x00200013, "IS", "")), sopClass: sopClass);
        Assert.False(q.Relational);
        Assert.Equal([new DicomTag(StudyInstanceUID)], q.HigherLevelUniqueKeys.Select(k => k.Tag));
        Assert.Contains(q.Keys, k => k.Tag == new DicomTag(StudyInstanceUID));
    }

    [Fact]
    public void Identifier_HierarchicalImageWithStudyUidList_IsStillA900()
    {
        var error = FindError(Identifier("IMAGE", (StudyInstanceUID, "UI", @"1.2\1.3")));
        Assert.Equal((ushort)0xA900, error.DimseStatus);
    }

    [Fact]
    public void Identifier_NulInValue_IsC000WithOffendingElement()
    {
        var error = FindError(Identifier("STUDY", (PatientName, "PN", "a\0b")));
        Assert.Equal((ushort)0xC000, error.DimseStatus);
        Assert.Equal(new DicomTag(PatientName), error.OffendingElement);
    }

    [Theory]
    [InlineData("2020XX01")]
    [InlineData("20201301")]
    [InlineData("2020*")]
    [InlineData("20200101-20200102-20200103")]
    public void Identifier_StudyDateNotADateOrRange_IsC000WithOffendingElement(string value)
    {
        // PS3.4 C.4.1.1.4: "Unable to process" (C000) with the Offending Element; docs/conformance.md says why not A900.
        var error = FindError(Identifier("STUDY", (StudyDate, "DA", value)));
        Assert.Equal((ushort)0xC000, error.DimseStatus);
        Assert.Equal(new DicomTag(StudyDate), error.OffendingElement);
    }

    [Fact]
    public void Identifier_RelationalSeriesWithoutStudyUid_IsAccepted()
    {
        var q = Find(Identifier("SERIES", (Modality, "CS", "CT"), (PatientName, "PN", "DOE")), relational: true);
        Assert.True(q.Relational);
        Assert.Equal(2, q.Keys.Count);
        Assert.Empty(q.HigherLevelUniqueKeys);
    }

    [Fact]
    public void Identifier_HierarchicalKeyBelowLevel_IsReturnedButDoesNotConstrain()
    {
        var q = Find(Identifier("STUDY", (Modality, "CS", "CT")));
        Assert.Empty(q.Keys);
        Assert.Contains(q.ReturnKeys, r => r.Tag == new DicomTag(Modality));
    }

    [Fact]
    public void Identifier_ImplicitVrKeys_TakeDictionaryVR()
    {
        // An implicit VR identifier read without a dictionary entry carries UN.
        var id = Identifier("STUDY");
        id.Set(new DicomTag(StudyDate), DicomVR.UN, "20200101-20200131"u8.ToArray().Concat(new byte[] { 0x20 }).ToArray());
        var key = Assert.Single(Find(id).Keys);
        Assert.Equal(DicomVR.DA, key.VR);
        Assert.IsType<DateRangeMatching>(key.Matching);
    }

    [Fact]
    public void Identifier_ReadFromImplicitVrBytes_ParsesAsSent()
    {
        // What a C-FIND SCP receives: the identifier in Implicit VR Little Endian, VRs unknown to the reader.
        var sent = Identifier("STUDY", (PatientName, "PN", "DOE*"), (StudyDate, "DA", "20200101-"), (StudyInstanceUID, "UI", ""));
        var bytes = Pacs.Dicom.IO.DicomWriter.ToBytes(sent, DicomTransferSyntax.ImplicitVRLittleEndian);
        var received = Pacs.Dicom.IO.DicomReader.ReadDataset(bytes, DicomTransferSyntax.ImplicitVRLittleEndian).Dataset;
        var q = Find(received);
        Assert.Equal(QueryLevel.Study, q.Level);
        Assert.Equal(new WildcardMatching("DOE*"), q.FindKey(new DicomTag(PatientName))!.Matching);
        Assert.Equal(new DateRangeMatching(new DateOnly(2020, 1, 1), null), q.FindKey(new DicomTag(StudyDate))!.Matching);
        Assert.Equal(3, q.ReturnKeys.Count);
        Assert.True(InMemoryMatcher.Matches(q, Dataset((PatientName, "PN", "DOE^JANE"), (StudyDate, "DA", "20210101"))));
    }

    [Fact]
    public void Identifier_BinaryKey_IsMatchedAsNumber()
    {
        var id = Identifier("IMAGE", (StudyInstanceUID, "UI", "1.2"), (SeriesInstanceUID, "UI", "1.2.3"));
        id.SetUInt16(new DicomTag(0x00280010), DicomVR.US, 512);
        var q = Find(id);
        var rows = q.FindKey(new DicomTag(0x00280010));
        Assert.Equal(new SingleValueMatching("512"), rows!.Matching);
        var candidate = Dataset((StudyInstanceUID, "UI", "1.2"), (SeriesInstanceUID, "UI", "1.2.3"));
        candidate.SetUInt16(new DicomTag(0x00280010), DicomVR.US, 512);
        Assert.True(InMemoryMatcher.Matches(q, candidate));
    }

    [Fact]
    public void Identifier_TimezoneOffset_IsRecordedAndReturned()
    {
        var q = Find(Identifier("STUDY", (TimezoneOffsetFromUTC, "SH", "-0500")));
        Assert.Equal(TimeSpan.FromHours(-5), q.TimezoneOffset);
        Assert.Empty(q.Keys);
        Assert.Contains(q.ReturnKeys, r => r.Tag == new DicomTag(TimezoneOffsetFromUTC));
    }

    [Fact]
    public void Identifier_BadTimezoneOffset_IsC000()
    {
        var error = FindError(Identifier("STUDY", (TimezoneOffsetFromUTC, "SH", "5 hours")));
        Assert.Equal((ushort)0xC000, error.DimseStatus);
        Assert.Equal(new DicomTag(TimezoneOffsetFromUTC), error.OffendingElement);
    }

    [Fact]
    public void Identifier_PrivateElements_AreIgnored()
    {
        var q = Find(Identifier("STUDY", (0x00090010, "LO", "ACME"), (0x00091001, "LO", "x")));
        Assert.Empty(q.Keys);
        Assert.Empty(q.ReturnKeys);
    }

    [Fact]
    public void Identifier_ModalitiesInStudyBackslash_MatchesAny()
    {
        var q = Find(Identifier("STUDY", (ModalitiesInStudy, "CS", @"CT\MR")));
        Assert.IsType<MultipleValueMatching>(Assert.Single(q.Keys).Matching);
        Assert.True(InMemoryMatcher.Matches(q, Dataset((ModalitiesInStudy, "CS", @"SR\MR"))));
    }
}
