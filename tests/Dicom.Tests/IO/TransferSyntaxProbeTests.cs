using Pacs.Dicom.IO;

namespace Pacs.Dicom.Tests.IO;

public sealed class TransferSyntaxProbeTests
{
    // SOI, APP0 (JFIF, 16 bytes), then the frame header marker under test with a 9-byte segment.
    private static byte[] Jpeg(byte sof, params byte[] tail) =>
        [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, .. "JFIF\0"u8, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, sof, 0x00, 0x0B, 8, 0, 16, 0, 16, 1, 1, 0x11, 0, .. tail];

    // SOS with one component: length 8, Ns 1, Cs 1, Td/Ta 0, then Ss (predictor or NEAR), Se, Ah/Al.
    private static byte[] Sos(byte ss) => [0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, ss, 0, 0];

    // SOC, SIZ (a short stand-in segment), optional CAP, COD whose last byte is the wavelet transform.
    private static byte[] J2k(byte transform, bool cap) =>
        [0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x06, 0, 0, 0, 0, .. (cap ? new byte[] { 0xFF, 0x50, 0x00, 0x06, 0, 2, 0, 0 } : []),
         0xFF, 0x52, 0x00, 0x0C, 0, 0, 0, 1, 0, 5, 4, 4, 0, transform, 0xFF, 0x90];

    [Fact]
    public void FromCodestream_JpegFrameHeaders_TheirProcess()
    {
        Assert.Equal(DicomTransferSyntax.JPEGBaseline8Bit, TransferSyntaxProbe.FromCodestream(Jpeg(0xC0)));
        Assert.Equal(DicomTransferSyntax.JPEGExtended12Bit, TransferSyntaxProbe.FromCodestream(Jpeg(0xC1)));
        Assert.Equal(DicomTransferSyntax.JPEGLosslessSV1, TransferSyntaxProbe.FromCodestream(Jpeg(0xC3, Sos(1))));
        Assert.Equal(DicomTransferSyntax.JPEGLossless, TransferSyntaxProbe.FromCodestream(Jpeg(0xC3, Sos(4))));
    }

    [Fact]
    public void FromCodestream_JpegLs_NearZeroIsLossless()
    {
        Assert.Equal(DicomTransferSyntax.JPEGLSLossless, TransferSyntaxProbe.FromCodestream(Jpeg(0xF7, Sos(0))));
        Assert.Equal(DicomTransferSyntax.JPEGLSNearLossless, TransferSyntaxProbe.FromCodestream(Jpeg(0xF7, Sos(2))));
    }

    [Fact]
    public void FromCodestream_Jpeg2000_ReversibleWaveletIsLossless_CapMarkerIsHighThroughput()
    {
        Assert.Equal(DicomTransferSyntax.JPEG2000Lossless, TransferSyntaxProbe.FromCodestream(J2k(1, cap: false)));
        Assert.Equal(DicomTransferSyntax.JPEG2000, TransferSyntaxProbe.FromCodestream(J2k(0, cap: false)));
        Assert.Equal(DicomTransferSyntax.HTJ2KLossless, TransferSyntaxProbe.FromCodestream(J2k(1, cap: true)));
        Assert.Equal(DicomTransferSyntax.HTJ2K, TransferSyntaxProbe.FromCodestream(J2k(0, cap: true)));
    }

    [Fact]
    public void FromCodestream_RleHeader_RleLossless()
    {
        var header = new byte[64];
        header[0] = 1;
        header[4] = 64;
        Assert.Equal(DicomTransferSyntax.RLELossless, TransferSyntaxProbe.FromCodestream(header));
    }

    [Fact]
    public void FromCodestream_UnknownOrTooShort_Null()
    {
        Assert.Null(TransferSyntaxProbe.FromCodestream([0x00, 0x00, 0x01, 0xB3, 0, 0, 0, 0]));
        Assert.Null(TransferSyntaxProbe.FromCodestream([0xFF, 0xD8]));
        Assert.Null(TransferSyntaxProbe.FromCodestream(new byte[64]));
    }

    [Fact]
    public void FromDatasetHead_VrLettersAfterTheTag_Explicit_Otherwise_Implicit()
    {
        Assert.Equal(DicomTransferSyntax.ExplicitVRLittleEndian, TransferSyntaxProbe.FromDatasetHead([0x08, 0x00, 0x05, 0x00, (byte)'C', (byte)'S', 0x0A, 0x00]));
        Assert.Equal(DicomTransferSyntax.ImplicitVRLittleEndian, TransferSyntaxProbe.FromDatasetHead([0x08, 0x00, 0x05, 0x00, 0x0A, 0x00, 0x00, 0x00]));
    }
}
