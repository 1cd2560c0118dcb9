using System.Buffers.Binary;
using System.Text;

namespace Pacs.Dicom.Tests.Json;

/// <summary>Builds data sets element by element, with the bytes spelled out, so tests do not depend on a DICOM reader.</summary>
internal static class JsonTestData
{
    public static DicomTag T(uint value) => new(value);

    public static void Str(this DicomDataset ds, uint tag, DicomVR vr, string value) => ds.SetString(T(tag), vr, value);

    public static void Bytes(this DicomDataset ds, uint tag, DicomVR vr, params byte[] value) => ds.Set(T(tag), vr, value);

    public static void Floats(this DicomDataset ds, uint tag, params float[] values)
    {
        var b = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), values[i]);
        }

        ds.Set(T(tag), DicomVR.FL, b);
    }

    public static void Doubles(this DicomDataset ds, uint tag, DicomVR vr, params double[] values)
    {
        var b = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(i * 8), values[i]);
        }

        ds.Set(T(tag), vr, b);
    }

    public static void Int16s(this DicomDataset ds, uint tag, params short[] values)
    {
        var b = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(i * 2), values[i]);
        }

        ds.Set(T(tag), DicomVR.SS, b);
    }

    public static void Int32s(this DicomDataset ds, uint tag, DicomVR vr, params int[] values)
    {
        var b = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(i * 4), values[i]);
        }

        ds.Set(T(tag), vr, b);
    }

    public static void Int64s(this DicomDataset ds, uint tag, DicomVR vr, params long[] values)
    {
        var b = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(i * 8), values[i]);
        }

        ds.Set(T(tag), vr, b);
    }

    public static string ToJson(DicomDataset ds, Pacs.Dicom.Json.DicomJsonOptions? options = null) =>
        Encoding.UTF8.GetString(Pacs.Dicom.Json.DicomJsonWriter.ToUtf8Bytes(ds, options));

    /// <summary>One instance of every VR of PS3.5 Table 6.2-1 (tags chosen for their dictionary VR where one exists).</summary>
    public static DicomDataset EveryVR()
    {
        var ds = new DicomDataset();
        ds.Str(0x00080005, DicomVR.CS, "ISO_IR 192");
        ds.Str(0x00080016, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.4");
        ds.Str(0x00080020, DicomVR.DA, "20240131");
        ds.Str(0x0008002A, DicomVR.DT, "20240131123000.5");
        ds.Str(0x00080030, DicomVR.TM, "123000");
        ds.Str(0x00080054, DicomVR.AE, "ARCHIVE");
        ds.Str(0x00080060, DicomVR.CS, "MR");
        ds.Str(0x00080090, DicomVR.PN, "Doe^John");
        ds.Str(0x00081030, DicomVR.LO, "Brain w/o contrast");
        ds.Str(0x00081190, DicomVR.UR, "http://example.test/a\\b");
        var item = new DicomDataset();
        item.Str(0x00081150, DicomVR.UI, "1.2.3");
        item.Str(0x00081155, DicomVR.UI, "1.2.3.4");
        ds.Set(T(0x00081199), new DicomSequence([item]));
        ds.Bytes(0x00091010, DicomVR.UN, 1, 2, 3, 4);
        ds.Str(0x00100010, DicomVR.PN, "Yamada^Tarou=山田^太郎=やまだ^たろう");
        ds.Str(0x00101010, DicomVR.AS, "045Y");
        ds.Str(0x00102000, DicomVR.LO, "A\\\\C");
        ds.Str(0x00104000, DicomVR.LT, "line1\r\nline2 \\ not a delimiter");
        ds.Floats(0x00186028, 1.5f, -0.25f);
        ds.Int32s(0x00186020, DicomVR.SL, -7, 2147483647);
        ds.Doubles(0x00189087, DicomVR.FD, 1000.5, 1e-300);
        ds.Int16s(0x00189219, -1, 32767);
        ds.Str(0x00200013, DicomVR.IS, "+12 ");
        ds.Str(0x00200032, DicomVR.DS, "-1.5\\0.25\\ 3 \\1e3\\.5");
        ds.Bytes(0x00209165, DicomVR.AT, 0x18, 0x00, 0x50, 0x00, 0x28, 0x00, 0x10, 0x00);
        ds.SetUInt16(T(0x00280010), DicomVR.US, 512, 65535);
        ds.SetUInt32(T(0x00281201), DicomVR.UL, 4294967295);
        ds.Str(0x00321060, DicomVR.ST, "short text");
        ds.Str(0x00400280, DicomVR.UT, "unlimited text");
        ds.Str(0x0040A160, DicomVR.UC, "unlimited\\characters");
        ds.Bytes(0x00420011, DicomVR.OB, 0xFB, 0xFF, 0x00, 0x01);
        ds.Int64s(0x0072007B, DicomVR.SV, -5, 9007199254740993);
        ds.Int64s(0x0072007C, DicomVR.UV, 7, unchecked((long)ulong.MaxValue));
        ds.Doubles(0x7FE00009, DicomVR.OD, 2.0);
        ds.Set(T(0x7FE00008), DicomVR.OF, new byte[] { 0, 0, 128, 63 });
        ds.Set(T(0x7FE00002), DicomVR.OL, new byte[] { 1, 0, 0, 0 });
        ds.Set(T(0x7FE00003), DicomVR.OV, new byte[] { 1, 0, 0, 0, 0, 0, 0, 0 });
        ds.Set(T(0x7FE00010), DicomVR.OW, new byte[] { 1, 0, 2, 0 });
        ds.Str(0x00080050, DicomVR.SH, "ACC1");
        return ds;
    }
}
