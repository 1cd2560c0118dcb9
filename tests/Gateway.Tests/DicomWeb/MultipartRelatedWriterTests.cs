using System.Text;
using Pacs.Gateway.DicomWeb;

namespace Pacs.Gateway.Tests.DicomWeb;

public sealed class MultipartRelatedWriterTests
{
    [Fact]
    public async Task WritePart_TwoParts_ExactRfc2046Framing()
    {
        using var body = new MemoryStream();
        var writer = new MultipartRelatedWriter(body, "b0");
        await writer.WritePartAsync("application/octet-stream", "1.2.840.10008.1.2.1", "ab"u8.ToArray());
        await writer.WritePartAsync("image/jpeg", "1.2.840.10008.1.2.4.50", "\r\n"u8.ToArray());
        await writer.CompleteAsync();
        var expected =
            "--b0\r\nContent-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1\r\nContent-Length: 2\r\n\r\nab" +
            "\r\n--b0\r\nContent-Type: image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50\r\nContent-Length: 2\r\n\r\n\r\n" +
            "\r\n--b0--\r\n";
        Assert.Equal(expected, Encoding.ASCII.GetString(body.ToArray()));
    }

    [Fact]
    public async Task Parts_ReadBackWithAspNetReader_ContentExact()
    {
        using var body = new MemoryStream();
        var boundary = MultipartRelatedWriter.NewBoundary();
        var writer = new MultipartRelatedWriter(body, boundary);
        var payloads = new[] { new byte[] { 1, 2, 3 }, Encoding.ASCII.GetBytes("--" + "x\r\n"), new byte[70_000] };
        foreach (var p in payloads)
        {
            await writer.WritePartAsync("application/dicom", "1.2.840.10008.1.2", p);
        }

        await writer.CompleteAsync();
        body.Position = 0;
        var reader = new Microsoft.AspNetCore.WebUtilities.MultipartReader(boundary, body);
        var i = 0;
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            Assert.Equal("application/dicom; transfer-syntax=1.2.840.10008.1.2", section.ContentType);
            using var copy = new MemoryStream();
            await section.Body.CopyToAsync(copy);
            Assert.Equal(payloads[i++], copy.ToArray());
        }
        Assert.Equal(payloads.Length, i);
    }

    [Fact]
    public void ContentType_QuotesTypeParameter()
    {
        Assert.Equal("multipart/related; type=\"application/dicom\"; boundary=xyz", MultipartRelatedWriter.ContentType("xyz", "application/dicom"));
        Assert.Equal("multipart/related; type=\"image/jpeg\"; transfer-syntax=1.2.840.10008.1.2.4.50; boundary=xyz",
            MultipartRelatedWriter.ContentType("xyz", "image/jpeg", "1.2.840.10008.1.2.4.50"));
    }
}
