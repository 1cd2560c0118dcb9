using System.Text;
using Pacs.Dicom;
using Pacs.Dicom.Query;
using Pacs.Gateway.Dimse;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.Tests;

public sealed class DimseScpTests
{
    [Theory]
    [InlineData(IngestStatus.Stored, 0x0000)]
    [InlineData(IngestStatus.Duplicate, 0x0000)]
    [InlineData(IngestStatus.Replaced, 0x0000)]
    [InlineData(IngestStatus.CannotUnderstand, 0xC000)]
    [InlineData(IngestStatus.DataSetDoesNotMatch, 0xA900)]
    [InlineData(IngestStatus.OutOfResources, 0xA700)]
    [InlineData(IngestStatus.RejectedDuplicate, 0x0111)]
    [InlineData(IngestStatus.Aborted, 0x0110)]
    public void StoreScp_IngestOutcome_MapsToDimseStatus(IngestStatus outcome, int expected)
    {
        var status = StoreScp.ToDimseStatus(new IngestResult(outcome, ErrorComment: "why", Warnings: ["kept as is"]));
        Assert.Equal(expected, status.Code);
        if (expected != 0)
        {
            Assert.Equal("why", status.ErrorComment);
        }
    }

    [Fact]
    public void StoreScp_LongErrorComment_TruncatedToLo()
    {
        var status = StoreScp.ToDimseStatus(new IngestResult(IngestStatus.CannotUnderstand, ErrorComment: new string('x', 200)));
        Assert.Equal(64, status.ErrorComment!.Length);
    }

    [Fact]
    public void FindScp_NonAsciiValue_DeclaresUtf8AndAddsLevelAndRetrieveAe()
    {
        var identifier = new DicomDataset();
        identifier.SetString(DicomTag.QueryRetrieveLevel, DicomVR.CS, "STUDY");
        identifier.SetString(DicomTag.PatientName, DicomVR.PN, "");
        identifier.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, "");
        var query = FindScp.QueryFromIdentifier(identifier, QueryRetrieveSopClass.StudyRootFind);
        var candidate = IndexTestData.Ds((DicomTag.PatientName, DicomVR.PN, "Müller^Hans"), (DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3"), (DicomTag.StudyDescription, DicomVR.LO, "not asked"));
        var response = FindScp.Response(query, candidate, "CLINTON");
        Assert.Equal("ISO_IR 192", response.GetString(DicomTag.SpecificCharacterSet));
        Assert.Equal("Müller^Hans", response.GetString(DicomTag.PatientName));
        Assert.Equal("STUDY", response.GetString(DicomTag.QueryRetrieveLevel));
        Assert.Equal("CLINTON", response.GetString(DicomTag.RetrieveAETitle));
        Assert.False(response.Contains(DicomTag.StudyDescription));
        Assert.True(response.TryGetElement(DicomTag.PatientName, out var pn) && Encoding.UTF8.GetString(pn.Value.Span).StartsWith("Müller", StringComparison.Ordinal));
    }

    [Fact]
    public void FindScp_AsciiOnly_NoSpecificCharacterSet()
    {
        var identifier = new DicomDataset();
        identifier.SetString(DicomTag.QueryRetrieveLevel, DicomVR.CS, "PATIENT");
        identifier.SetString(DicomTag.PatientID, DicomVR.LO, "");
        var query = FindScp.QueryFromIdentifier(identifier, QueryRetrieveSopClass.PatientRootFind);
        var response = FindScp.Response(query, IndexTestData.Ds((DicomTag.PatientID, DicomVR.LO, "P1")), "CLINTON");
        Assert.False(response.Contains(DicomTag.SpecificCharacterSet));
    }

    [Fact]
    public void FindScp_PatientLevelInStudyRoot_ThrowsA900()
    {
        var identifier = new DicomDataset();
        identifier.SetString(DicomTag.QueryRetrieveLevel, DicomVR.CS, "PATIENT");
        var ex = Assert.Throws<Pacs.Dicom.Network.DimseStatusException>(() => FindScp.QueryFromIdentifier(identifier, QueryRetrieveSopClass.StudyRootFind));
        Assert.Equal(0xA900, ex.Status.Code);
    }
}
