using System.Globalization;

namespace Pacs.Dicom.Benchmarks;

/// <summary>
/// A 512×512 16-bit CT instance shaped like a scanner's output: ~110 header elements including sequences, and
/// 512 KiB of pixel data (the same shape as ../shared/bench/gen_dataset.py's ct files).
/// </summary>
internal static class SyntheticCt
{
    public static DicomFile Create()
    {
        var ds = new DicomDataset();
        ds.SetString(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 100");
        ds.SetStrings(new DicomTag(0x00080008), DicomVR.CS, ["ORIGINAL", "PRIMARY", "AXIAL"]);
        ds.SetString(DicomTag.SOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.2");
        ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.PatientName, DicomVR.PN, "MÜLLER^JÜRGEN");
        ds.SetString(DicomTag.PatientID, DicomVR.LO, "PAT000123");
        // Generic header elements: dates, times, descriptions, numbers, as a CT carries them.
        var strings = new (uint Tag, DicomVR VR, string Value)[]
        {
            (0x00080012, DicomVR.DA, "20240105"), (0x00080013, DicomVR.TM, "101530.123"), (0x00080020, DicomVR.DA, "20240105"),
            (0x00080021, DicomVR.DA, "20240105"), (0x00080022, DicomVR.DA, "20240105"), (0x00080023, DicomVR.DA, "20240105"),
            (0x00080030, DicomVR.TM, "101000"), (0x00080031, DicomVR.TM, "101200"), (0x00080032, DicomVR.TM, "101300"),
            (0x00080033, DicomVR.TM, "101400"), (0x00080050, DicomVR.SH, "ACC0001234"), (0x00080060, DicomVR.CS, "CT"),
            (0x00080070, DicomVR.LO, "ACME MEDICAL"), (0x00080080, DicomVR.LO, "CLINTON GENERAL HOSPITAL"),
            (0x00080090, DicomVR.PN, "HOUSE^GREGORY"), (0x00081010, DicomVR.SH, "CT01"), (0x00081030, DicomVR.LO, "CT CHEST WITH CONTRAST"),
            (0x0008103E, DicomVR.LO, "AXIAL 5MM"), (0x00081090, DicomVR.LO, "SCANNER 9000"), (0x00100030, DicomVR.DA, "19700101"),
            (0x00100040, DicomVR.CS, "M"), (0x00101010, DicomVR.AS, "054Y"), (0x00180015, DicomVR.CS, "CHEST"),
            (0x00180050, DicomVR.DS, "5.0"), (0x00180060, DicomVR.DS, "120"), (0x00181020, DicomVR.LO, "V1.2.3"),
            (0x00181030, DicomVR.LO, "CHEST ROUTINE"), (0x00181100, DicomVR.DS, "350"), (0x00181120, DicomVR.DS, "0"),
            (0x00181130, DicomVR.DS, "150"), (0x00181140, DicomVR.CS, "CW"), (0x00181150, DicomVR.IS, "1000"),
            (0x00181151, DicomVR.IS, "250"), (0x00181152, DicomVR.IS, "250"), (0x00181160, DicomVR.SH, "BODY"),
            (0x00181170, DicomVR.IS, "24"), (0x00181190, DicomVR.DS, "0.7"), (0x00181210, DicomVR.SH, "STANDARD"),
            (0x00185100, DicomVR.CS, "HFS"), (0x00200010, DicomVR.SH, "1"), (0x00200011, DicomVR.IS, "2"),
            (0x00200012, DicomVR.IS, "1"), (0x00200013, DicomVR.IS, "42"), (0x00200032, DicomVR.DS, "-175\\-175\\-210"),
            (0x00200037, DicomVR.DS, "1\\0\\0\\0\\1\\0"), (0x00200052, DicomVR.UI, "1.2.3.4.5.6.7.8.9"),
            (0x00201040, DicomVR.LO, ""), (0x00201041, DicomVR.DS, "-210"), (0x00280004, DicomVR.CS, "MONOCHROME2"),
            (0x00280030, DicomVR.DS, "0.683594\\0.683594"), (0x00281050, DicomVR.DS, "40"), (0x00281051, DicomVR.DS, "400"),
            (0x00281052, DicomVR.DS, "-1024"), (0x00281053, DicomVR.DS, "1"), (0x00321060, DicomVR.LO, "CT CHEST"),
        };
        foreach (var (tag, vr, value) in strings) ds.SetString(new DicomTag(tag), vr, value);
        ds.SetUInt16(new DicomTag(0x00280002), DicomVR.US, 1);
        ds.SetUInt16(new DicomTag(0x00280010), DicomVR.US, 512);
        ds.SetUInt16(new DicomTag(0x00280011), DicomVR.US, 512);
        ds.SetUInt16(new DicomTag(0x00280100), DicomVR.US, 16);
        ds.SetUInt16(new DicomTag(0x00280101), DicomVR.US, 12);
        ds.SetUInt16(new DicomTag(0x00280102), DicomVR.US, 11);
        ds.SetUInt16(new DicomTag(0x00280103), DicomVR.US, 0);
        // Two sequences with a few items, as CTs carry for referenced images and procedure codes.
        var referenced = new DicomSequence();
        for (var i = 0; i < 4; i++)
        {
            var item = new DicomDataset();
            item.SetString(new DicomTag(0x00081150), DicomVR.UI, "1.2.840.10008.5.1.4.1.1.2");
            item.SetString(new DicomTag(0x00081155), DicomVR.UI, "1.2.3.4.5.6.7." + i.ToString(CultureInfo.InvariantCulture));
            referenced.Items.Add(item);
        }
        ds.Set(new DicomTag(0x00081140), referenced);
        var code = new DicomSequence();
        var codeItem = new DicomDataset();
        codeItem.SetString(new DicomTag(0x00080100), DicomVR.SH, "CTCHEST");
        codeItem.SetString(new DicomTag(0x00080102), DicomVR.SH, "99LOCAL");
        codeItem.SetString(new DicomTag(0x00080104), DicomVR.LO, "CT Chest with contrast");
        code.Items.Add(codeItem);
        ds.Set(new DicomTag(0x00081032), code);
        // Private block, as every vendor adds.
        ds.SetString(new DicomTag(0x00090010), DicomVR.LO, "ACME_CT_1");
        for (ushort e = 0x1000; e < 0x1010; e++) ds.SetString(new DicomTag(0x0009, e), DicomVR.LO, "private value " + e);
        var pixels = new byte[512 * 512 * 2];
        new Random(42).NextBytes(pixels);
        ds.Set(DicomTag.PixelData, DicomVR.OW, pixels);
        return DicomFile.Create(ds, DicomTransferSyntax.ExplicitVRLittleEndian);
    }
}
