using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;
using Pacs.Dicom.Dictionary;

namespace Pacs.Dicom.Tests.Dictionary;

public sealed class DicomDictionaryTests
{
    [Fact]
    public void TryGetEntry_OrdinaryTag_ReturnsPs36Attribute()
    {
        Assert.True(DicomDictionary.TryGetEntry(new DicomTag(0x0010, 0x0010), out var entry));
        Assert.Equal(DicomTag.PatientName, entry.Tag);
        Assert.Equal("PatientName", entry.Keyword);
        Assert.Equal("Patient's Name", entry.Name);
        Assert.Equal([DicomVR.PN], entry.VRs);
        Assert.Equal("1", entry.VM);
        Assert.Equal(0xFFFFFFFFu, entry.Mask);
        Assert.False(entry.IsRetired);
        Assert.Equal(DicomVR.PN, DicomDictionary.GetDefaultVR(DicomTag.PatientName));
        Assert.Equal(DicomVR.UI, DicomDictionary.GetDefaultVR(DicomTag.StudyInstanceUID));
        Assert.Equal(DicomVR.SQ, DicomDictionary.GetDefaultVR(new DicomTag(0x0008, 0x1115)));
        Assert.Equal("ImageType", DicomDictionary.GetKeyword(new DicomTag(0x0008, 0x0008)));
        Assert.Equal("Image Type", DicomDictionary.GetName(new DicomTag(0x0008, 0x0008)));
        Assert.Equal("2-n", DicomDictionary.TryGetEntry(new DicomTag(0x0008, 0x0008), out var imageType) ? imageType.VM : null);
    }

    [Fact]
    public void TryGetEntry_MultiVRTags_ListAllVRsAndDefaultToImplicitVR()
    {
        Assert.True(DicomDictionary.TryGetEntry(DicomTag.PixelData, out var pixel));
        Assert.Equal([DicomVR.OB, DicomVR.OW], pixel.VRs);
        Assert.Equal(DicomVR.OW, DicomDictionary.GetDefaultVR(DicomTag.PixelData));

        Assert.True(DicomDictionary.TryGetEntry(DicomTag.SmallestImagePixelValue, out var smallest));
        Assert.Equal([DicomVR.US, DicomVR.SS], smallest.VRs);
        Assert.Equal(DicomVR.US, DicomDictionary.GetDefaultVR(DicomTag.SmallestImagePixelValue));

        Assert.True(DicomDictionary.TryGetEntry(DicomTag.LUTData, out var lut));
        Assert.Equal([DicomVR.US, DicomVR.OW], lut.VRs);
        Assert.Equal(DicomVR.US, DicomDictionary.GetDefaultVR(DicomTag.LUTData));

        Assert.Equal([DicomVR.US, DicomVR.SS], DicomDictionary.Entries.Single(e => e.Keyword == "LUTDescriptor").VRs);
        Assert.Equal([DicomVR.UL], DicomDictionary.Entries.Single(e => e.Keyword == "OffsetOfTheNextDirectoryRecord").VRs);
        Assert.Equal(DicomVR.OW, DicomDictionary.GetDefaultVR(DicomTag.WaveformData));
    }

    [Fact]
    public void TryGetEntry_RepeatingOverlayGroup_MatchesMaskedEntry()
    {
        Assert.True(DicomDictionary.TryGetEntry(new DicomTag(0x6002, 0x3000), out var entry));
        Assert.Equal("OverlayData", entry.Keyword);
        Assert.Equal(DicomTag.OverlayData, entry.Tag);
        Assert.Equal(new DicomTag(0x6000, 0x3000), DicomTag.OverlayData);
        Assert.Equal(0xFF00FFFFu, entry.Mask);
        Assert.Equal([DicomVR.OB, DicomVR.OW], entry.VRs);
        Assert.Equal(DicomVR.OW, DicomDictionary.GetDefaultVR(new DicomTag(0x6002, 0x3000)));
        Assert.Equal(DicomVR.US, DicomDictionary.GetDefaultVR(new DicomTag(0x601E, 0x0010)));
        Assert.Equal("OverlayRows", DicomDictionary.GetKeyword(new DicomTag(0x601E, 0x0010)));
    }

    [Fact]
    public void TryGetEntry_OddGroupInRepeatingRange_IsPrivateNotOverlay()
    {
        // PS3.5 7.6: repeating groups are even; (6001,3000) is a private data element.
        Assert.False(DicomDictionary.TryGetEntry(new DicomTag(0x6001, 0x3000), out _));
        Assert.Equal(DicomVR.UN, DicomDictionary.GetDefaultVR(new DicomTag(0x6001, 0x3000)));
    }

    [Fact]
    public void TryGetEntry_RetiredCurveGroup_MatchesMaskedEntry()
    {
        Assert.True(DicomDictionary.TryGetEntry(new DicomTag(0x5010, 0x3000), out var curveData));
        Assert.Equal("CurveData", curveData.Keyword);
        Assert.True(curveData.IsRetired);
        Assert.Equal(DicomVR.OW, DicomDictionary.GetDefaultVR(new DicomTag(0x5010, 0x3000)));

        Assert.True(DicomDictionary.TryGetEntry(new DicomTag(0x5010, 0x0005), out var dims));
        Assert.Equal("CurveDimensions", dims.Keyword);
        Assert.Equal(DicomVR.US, dims.VRs[0]);
    }

    [Fact]
    public void TryGetEntry_ElementRanges_MatchPs36Masks()
    {
        Assert.Equal("SourceImageIDs", DicomDictionary.GetKeyword(new DicomTag(0x0020, 0x31A7)));
        Assert.Equal("RowsForNthOrderCoefficients", DicomDictionary.GetKeyword(new DicomTag(0x0028, 0x04C0)));
        Assert.Equal("CoefficientCodingPointers", DicomDictionary.GetKeyword(new DicomTag(0x0028, 0x0473)));
        Assert.Equal("EscapeTriplet", DicomDictionary.GetKeyword(new DicomTag(0x1000, 0x1230)));
        Assert.Equal("ZonalMap", DicomDictionary.GetKeyword(new DicomTag(0x1010, 0x1234)));
        // Exact entries win over ranges: (0028,0400) is Transform Label, not (0028,04x0).
        Assert.Equal("TransformLabel", DicomDictionary.GetKeyword(new DicomTag(0x0028, 0x0400)));
    }

    [Fact]
    public void TryGetEntry_GroupLength_IsUL()
    {
        Assert.Equal("FileMetaInformationGroupLength", DicomDictionary.GetKeyword(new DicomTag(0x0002, 0x0000)));
        Assert.True(DicomDictionary.TryGetEntry(new DicomTag(0x0010, 0x0000), out var entry));
        Assert.Same(DicomDictionary.GroupLength, entry);
        Assert.Equal([DicomVR.UL], entry.VRs);
        Assert.Equal(DicomVR.UL, DicomDictionary.GetDefaultVR(new DicomTag(0x0010, 0x0000)));
        Assert.Equal(DicomVR.UL, DicomDictionary.GetDefaultVR(new DicomTag(0x0029, 0x0000)));
    }

    [Fact]
    public void TryGetEntry_PrivateCreator_IsLO()
    {
        Assert.True(DicomDictionary.TryGetEntry(new DicomTag(0x0029, 0x0010), out var entry));
        Assert.Same(DicomDictionary.PrivateCreator, entry);
        Assert.Equal("Private Creator", entry.Name);
        Assert.Equal(DicomVR.LO, DicomDictionary.GetDefaultVR(new DicomTag(0x0009, 0x00FF)));
        Assert.Equal(DicomVR.UN, DicomDictionary.GetDefaultVR(new DicomTag(0x0029, 0x1010)));
        Assert.False(DicomDictionary.TryGetEntry(new DicomTag(0x0029, 0x1010), out _));
        Assert.Null(DicomDictionary.GetName(new DicomTag(0x0029, 0x1010)));
    }

    [Fact]
    public void TryGetEntry_UnknownPublicTag_IsFalseAndUN()
    {
        var unknown = new DicomTag(0x0010, 0xFFF0);
        Assert.False(DicomDictionary.TryGetEntry(unknown, out _));
        Assert.Null(DicomDictionary.GetKeyword(unknown));
        Assert.Equal(DicomVR.UN, DicomDictionary.GetDefaultVR(unknown));
    }

    [Fact]
    public void TryGetEntry_ItemAndDelimiters_AreKnownWithoutVR()
    {
        Assert.Equal(new DicomTag(0xFFFE, 0xE000), DicomTag.Item);
        Assert.Equal(new DicomTag(0xFFFE, 0xE00D), DicomTag.ItemDelimitationItem);
        Assert.Equal(new DicomTag(0xFFFE, 0xE0DD), DicomTag.SequenceDelimitationItem);
        Assert.True(DicomDictionary.TryGetEntry(DicomTag.SequenceDelimitationItem, out var entry));
        Assert.Equal("SequenceDelimitationItem", entry.Keyword);
        Assert.Empty(entry.VRs);
        Assert.Equal(DicomVR.UN, DicomDictionary.GetDefaultVR(DicomTag.Item));
    }

    [Fact]
    public void TryGetEntry_Keyword_FindsExactAndMaskedEntries()
    {
        Assert.True(DicomDictionary.TryGetEntry("StudyInstanceUID", out var study));
        Assert.Equal(DicomTag.StudyInstanceUID, study.Tag);
        Assert.True(DicomDictionary.TryGetEntry("OverlayData", out var overlay));
        Assert.Equal(0xFF00FFFFu, overlay.Mask);
        Assert.False(DicomDictionary.TryGetEntry("patientname", out _));
        Assert.False(DicomDictionary.TryGetEntry("NoSuchKeyword", out _));
    }

    [Fact]
    public void TryGetEntry_RetiredAndDicosAttributes_CarryTheirFlags()
    {
        Assert.True(DicomDictionary.TryGetEntry(new DicomTag(0x0008, 0x0040), out var dataSetType));
        Assert.Equal("DataSetType", dataSetType.Keyword);
        Assert.True(dataSetType.IsRetired);
        Assert.True(DicomDictionary.TryGetEntry("DopplerSampleVolumeXPositionRetired", out var renamed));
        Assert.True(renamed.IsRetired);
        Assert.False(DicomDictionary.TryGetEntry("RETIRED_DataSetType", out _));
        // DICOS (4010,1001) and DICONDE (0014,3050) attributes are public and present.
        Assert.Equal("ThreatROIVoxelSequence", DicomDictionary.GetKeyword(new DicomTag(0x4010, 0x1001)));
        Assert.Equal("DarkCurrentCounts", DicomDictionary.GetKeyword(new DicomTag(0x0014, 0x3050)));
    }

    [Fact]
    public void Entries_ExactPart_IsSortedAndUnique()
    {
        var exact = DicomDictionary.Entries.Where(e => e.Mask == 0xFFFFFFFF).Select(e => e.Tag.Value).ToList();
        Assert.True(exact.Count > 4800);
        Assert.True(exact.Zip(exact.Skip(1)).All(p => p.First < p.Second));
        Assert.Equal(DicomDictionary.Entries.Count, DicomDictionary.Entries.Select(e => e.Keyword).Distinct().Count());
    }

    [Fact]
    public void DicomTagProperties_EveryKeyword_RoundTripsThroughDictionary()
    {
        var fields = typeof(DicomTag).GetProperties(BindingFlags.Public | BindingFlags.Static)
            .Where(p => p.PropertyType == typeof(DicomTag))
            .ToList();
        Assert.Equal(DicomDictionary.Entries.Count, fields.Count);
        foreach (var field in fields)
        {
            var tag = (DicomTag)field.GetValue(null)!;
            // A keyword that clashes with a DicomTag member gets the suffix "Tag" (generate.py KEYWORD_SUFFIX).
            var keyword = DicomDictionary.TryGetEntry(field.Name, out var entry) ? field.Name : field.Name[..^3];
            Assert.True(DicomDictionary.TryGetEntry(keyword, out entry), field.Name);
            Assert.Equal(tag, entry.Tag);
            Assert.True(DicomDictionary.TryGetEntry(tag, out var byTag), field.Name);
            Assert.Equal(keyword, byTag.Keyword);
        }
    }

    [Fact]
    public void GetDefaultVR_TenThousandLookups_AllocatesNothing()
    {
        DicomTag[] tags =
        [
            DicomTag.PatientName, DicomTag.PixelData, new(0x6002, 0x3000), new(0x0010, 0x0000),
            new(0x0029, 0x0010), new(0x0029, 0x1010), new(0x0010, 0xFFF0), new(0x5010, 0x3000), DicomTag.Item,
        ];
        var sink = 0;
        for (var i = 0; i < 1000; i++)
        {
            sink += DicomDictionary.GetDefaultVR(tags[i % tags.Length]).Code;
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            sink += DicomDictionary.GetDefaultVR(tags[i % tags.Length]).Code;
        }

        var after = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(0, after - before);
        Assert.NotEqual(0, sink);
    }
}

public sealed class DicomUidsTests
{
    [Fact]
    public void Find_CTImageStorage_ReturnsSopClass()
    {
        Assert.Equal("1.2.840.10008.5.1.4.1.1.2", DicomUids.CTImageStorage);
        var info = DicomUids.Find(DicomUids.CTImageStorage);
        Assert.NotNull(info);
        Assert.Equal("CT Image Storage", info.Name);
        Assert.Equal("CTImageStorage", info.Keyword);
        Assert.Equal("SOP Class", info.Type);
        Assert.False(info.IsRetired);
    }

    [Fact]
    public void Find_TransferSyntaxWithPadding_IgnoresPadding()
    {
        var info = DicomUids.Find(DicomUids.ExplicitVRLittleEndian + "\0");
        Assert.NotNull(info);
        Assert.Equal("Explicit VR Little Endian", info.Name);
        Assert.Equal("Transfer Syntax", info.Type);
        Assert.True(DicomUids.Find(DicomUids.ExplicitVRBigEndian)!.IsRetired);
        Assert.Null(DicomUids.Find("1.2.3.4.5"));
    }

    [Fact]
    public void Find_TransferSyntaxesNewerThanInputs_AreKnown()
    {
        Assert.Equal("High-Throughput JPEG 2000 Image Compression (Lossless Only)", DicomUids.Find("1.2.840.10008.1.2.4.201")?.Name);
        Assert.Equal("HTJ2K", DicomUids.Find(DicomUids.HTJ2K)?.Keyword);
        Assert.Equal("JPIP HTJ2K Referenced Deflate", DicomUids.Find("1.2.840.10008.1.2.4.205")?.Name);
        Assert.Equal("JPEG XL", DicomUids.Find("1.2.840.10008.1.2.4.112")?.Name);
        // Every transfer syntax the codec layer knows has a registry name.
        Assert.All(DicomTransferSyntax.All, ts => Assert.Equal("Transfer Syntax", DicomUids.Find(ts.Uid)?.Type));
    }

    [Fact]
    public void StorageSopClasses_ContainStorageAndExcludeServices()
    {
        var storage = DicomUids.StorageSopClasses;
        Assert.Contains(DicomUids.CTImageStorage, storage);
        Assert.Contains(DicomUids.MRImageStorage, storage);
        Assert.Contains(DicomUids.EnhancedMRImageStorage, storage);
        Assert.Contains(DicomUids.SecondaryCaptureImageStorage, storage);
        Assert.Contains(DicomUids.EncapsulatedPDFStorage, storage);
        Assert.Contains(DicomUids.DigitalXRayImageStorageForPresentation, storage);
        Assert.Contains(DicomUids.GrayscaleSoftcopyPresentationStateStorage, storage);
        Assert.Contains(DicomUids.ComprehensiveSRStorage, storage);
        Assert.Contains(DicomUids.RTPlanStorage, storage);
        Assert.DoesNotContain(DicomUids.Verification, storage);
        Assert.DoesNotContain(DicomUids.PatientRootQueryRetrieveInformationModelFind, storage);
        Assert.DoesNotContain(DicomUids.StudyRootQueryRetrieveInformationModelMove, storage);
        Assert.DoesNotContain(DicomUids.StudyRootQueryRetrieveInformationModelGet, storage);
        Assert.DoesNotContain(DicomUids.StorageCommitmentPushModel, storage);
        Assert.DoesNotContain(DicomUids.MediaStorageDirectoryStorage, storage);
        Assert.Equal(storage.Count, storage.Distinct().Count());
        Assert.All(storage, uid => Assert.Equal("SOP Class", DicomUids.Find(uid)?.Type));
        Assert.True(DicomUids.IsStorageSopClass(DicomUids.CTImageStorage + "\0"));
        Assert.False(DicomUids.IsStorageSopClass(DicomUids.Verification));
    }
}

public sealed class DictionaryGeneratorTests
{
    private static readonly string[] GeneratedFiles = ["DicomTag.g.cs", "DicomDictionary.g.cs", "DicomUids.g.cs"];

    [Fact]
    public void Generator_RunTwice_ReproducesCheckedInFilesByteForByte()
    {
        var dictionaryDir = Path.Combine(FindRepositoryRoot(), "Dicom", "Dictionary");
        foreach (var file in GeneratedFiles)
        {
            Assert.True(File.Exists(Path.Combine(dictionaryDir, file)), file);
        }

        var first = Directory.CreateTempSubdirectory("dict-gen-");
        var second = Directory.CreateTempSubdirectory("dict-gen-");
        try
        {
            if (!RunGenerator(dictionaryDir, first.FullName) || !RunGenerator(dictionaryDir, second.FullName))
            {
                // No python3 on this machine: the checked-in files were still verified to exist above.
                return;
            }
            foreach (var file in GeneratedFiles)
            {
                var checkedIn = File.ReadAllBytes(Path.Combine(dictionaryDir, file));
                Assert.Equal(checkedIn, File.ReadAllBytes(Path.Combine(first.FullName, file)));
                Assert.Equal(checkedIn, File.ReadAllBytes(Path.Combine(second.FullName, file)));
            }
        }
        finally
        {
            first.Delete(recursive: true);
            second.Delete(recursive: true);
        }
    }

    private static bool RunGenerator(string dictionaryDir, string outDir)
    {
        var start = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(dictionaryDir, "generate.py"));
        start.ArgumentList.Add("--out");
        start.ArgumentList.Add(outDir);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception)
        {
            return false;
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, stderr.Result);
        }
        return true;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dicom", "Dictionary", "generate.py")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
