using System.Buffers.Binary;
using System.Globalization;
using Pacs.Dicom;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// A small image series written with our own writer (Explicit VR Little Endian, 16-bit monochrome): a stack of slices
/// through a bright phantom whose central half stays well above the display threshold the viewer tests measure, with
/// a dark marker that moves from slice to slice (so a screenshot tells which slice is shown).
/// </summary>
internal sealed record SyntheticStudy(string StudyInstanceUid, string SeriesInstanceUid, string PatientName, string PatientId, string Modality, IReadOnlyList<DicomFile> Instances)
{
    public const int Size = 128;

    /// <summary>Unique per study, so a test finds its own row in a study list shared with other tests.</summary>
    public string StudyDescription => StudyDescriptionOf(Modality, PatientId);

    private static string StudyDescriptionOf(string modality, string patientId) => $"E2E {modality} phantom {patientId[4..]}";

    public static SyntheticStudy Create(string modality, string patientName, int slices)
    {
        var study = DicomUidGenerator.Generate();
        var series = DicomUidGenerator.Generate();
        var frameOfReference = DicomUidGenerator.Generate();
        var patientId = "E2E-" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
        var ct = modality == "CT";
        var files = new List<DicomFile>(slices);
        for (var i = 0; i < slices; i++)
        {
            var ds = new DicomDataset();
            ds.SetString(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 100");
            ds.SetString(DicomTag.ImageType, DicomVR.CS, @"ORIGINAL\PRIMARY\AXIAL");
            ds.SetString(DicomTag.SOPClassUID, DicomVR.UI, ct ? "1.2.840.10008.5.1.4.1.1.2" : "1.2.840.10008.5.1.4.1.1.4");
            ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
            ds.SetString(DicomTag.StudyDate, DicomVR.DA, "20240115");
            ds.SetString(DicomTag.StudyTime, DicomVR.TM, "101500");
            ds.SetString(DicomTag.AccessionNumber, DicomVR.SH, patientId[4..]);
            ds.SetString(DicomTag.Modality, DicomVR.CS, modality);
            ds.SetString(DicomTag.ReferringPhysicianName, DicomVR.PN, "");
            ds.SetString(DicomTag.StudyDescription, DicomVR.LO, StudyDescriptionOf(modality, patientId));
            ds.SetString(DicomTag.SeriesDescription, DicomVR.LO, $"{modality} axial {slices} slices");
            ds.SetString(DicomTag.PatientName, DicomVR.PN, patientName);
            ds.SetString(DicomTag.PatientID, DicomVR.LO, patientId);
            ds.SetString(DicomTag.PatientBirthDate, DicomVR.DA, "19700101");
            ds.SetString(DicomTag.PatientSex, DicomVR.CS, "O");
            ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, study);
            ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, series);
            ds.SetString(DicomTag.StudyID, DicomVR.SH, "1");
            ds.SetString(DicomTag.SeriesNumber, DicomVR.IS, "1");
            ds.SetString(DicomTag.InstanceNumber, DicomVR.IS, (i + 1).ToString(CultureInfo.InvariantCulture));
            var z = (i * 2.5).ToString("0.0", CultureInfo.InvariantCulture);
            ds.SetString(DicomTag.ImagePositionPatient, DicomVR.DS, $@"-80\-80\{z}");
            ds.SetString(DicomTag.ImageOrientationPatient, DicomVR.DS, @"1\0\0\0\1\0");
            ds.SetString(DicomTag.FrameOfReferenceUID, DicomVR.UI, frameOfReference);
            ds.SetString(DicomTag.SliceLocation, DicomVR.DS, z);
            ds.SetString(DicomTag.SliceThickness, DicomVR.DS, "2.5");
            ds.SetUInt16(DicomTag.SamplesPerPixel, DicomVR.US, 1);
            ds.SetString(DicomTag.PhotometricInterpretation, DicomVR.CS, "MONOCHROME2");
            ds.SetUInt16(DicomTag.Rows, DicomVR.US, Size);
            ds.SetUInt16(DicomTag.Columns, DicomVR.US, Size);
            ds.SetString(DicomTag.PixelSpacing, DicomVR.DS, @"1.25\1.25");
            ds.SetUInt16(DicomTag.BitsAllocated, DicomVR.US, 16);
            ds.SetUInt16(DicomTag.BitsStored, DicomVR.US, 16);
            ds.SetUInt16(DicomTag.HighBit, DicomVR.US, 15);
            ds.SetUInt16(DicomTag.PixelRepresentation, DicomVR.US, (ushort)(ct ? 1 : 0));
            if (ct)
            {
                ds.SetString(DicomTag.RescaleIntercept, DicomVR.DS, "-1024");
                ds.SetString(DicomTag.RescaleSlope, DicomVR.DS, "1");
                ds.SetString(DicomTag.RescaleType, DicomVR.LO, "HU");
            }
            // The phantom's body lies 50..450 above the window centre: gray 140..242 of 255 on any display.
            ds.SetString(DicomTag.WindowCenter, DicomVR.DS, ct ? "0" : "500");
            ds.SetString(DicomTag.WindowWidth, DicomVR.DS, "1000");
            ds.Set(DicomTag.PixelData, DicomVR.OW, Pixels(i, slices, ct));
            files.Add(DicomFile.Create(ds, DicomTransferSyntax.ExplicitVRLittleEndian));
        }
        return new SyntheticStudy(study, series, patientName, patientId, modality, files);
    }

    /// <summary>Native little-endian pixels of one slice (what a frame request of it must return, byte for byte).</summary>
    public static byte[] PixelsOf(DicomFile file) =>
        file.Dataset.TryGetElement(DicomTag.PixelData, out var e) ? e.Value.ToArray() : throw new InvalidOperationException("no pixel data");

    private static byte[] Pixels(int slice, int slices, bool ct)
    {
        var bytes = new byte[Size * Size * 2];
        var phase = (double)slice / Math.Max(1, slices - 1);
        // Display values (after the CT rescale) in the window [-500, 500] of CT and the same window shifted by 500 for MR:
        // stored 1024 is 0 HU for CT; MR stores value + 500, so air (-500) is 0.
        var baseValue = ct ? 1024 : 500;
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var dx = (x - Size / 2.0) / (Size / 2.0);
                var dy = (y - Size / 2.0) / (Size / 2.0);
                var r = Math.Sqrt(dx * dx + dy * dy);
                // Body: 150..450 above the window's floor, rings that shift with the slice; air outside r = 0.95.
                var value = r < 0.95 ? 250 + 150 * Math.Cos(10 * r - 6 * phase) + 50 * dx : -500;
                // The slice marker: a dark bar along the top whose position tells the slice (outside the central half).
                if (y is >= 6 and < 14 && x >= 8 + slice * 5 && x < 12 + slice * 5)
                {
                    value = -500;
                }

                var stored = (int)Math.Round(baseValue + value);
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((y * Size + x) * 2), (ushort)(short)stored);
            }
        }
        return bytes;
    }
}
