using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Pacs.Gateway.DicomWeb;

namespace Pacs.Gateway.Tests.DicomWeb;

/// <summary>The STOW-RS request's media type and the multipart/related reading its parts stream through.</summary>
public sealed class StowMultipartTests
{
    private const string Boundary = "b0und4ry-x";

    [Theory]
    [InlineData("multipart/related; type=\"application/dicom\"; boundary=" + Boundary)]
    [InlineData("multipart/related; type=application/dicom; boundary=\"" + Boundary + "\"")]
    [InlineData("Multipart/Related;boundary=" + Boundary + ";TYPE=\"Application/DICOM\"")]
    [InlineData("multipart/related; boundary=" + Boundary)]
    public void ContentType_MultipartRelatedDicomSpelledAnyWay_IsMultipartWithBoundary(string contentType)
    {
        Assert.Equal(StowPayload.Multipart, StowContentType.Parse(contentType, out var boundary));
        Assert.Equal(Boundary, boundary);
    }

    [Theory]
    [InlineData("multipart/related; type=\"application/dicom+json\"; boundary=x")]
    [InlineData("multipart/related; type=application/dicom+xml; boundary=x")]
    [InlineData("multipart/mixed; boundary=x")]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("")]
    [InlineData(null)]
    public void ContentType_NotDicom_IsUnsupported(string? contentType) =>
        Assert.Equal(StowPayload.Unsupported, StowContentType.Parse(contentType, out _));

    [Fact]
    public void ContentType_MultipartWithoutBoundary_IsMalformed() =>
        Assert.Equal(StowPayload.Malformed, StowContentType.Parse("multipart/related; type=\"application/dicom\"", out _));

    [Fact]
    public void ContentType_LoneApplicationDicom_IsSingle() =>
        Assert.Equal(StowPayload.Single, StowContentType.Parse("application/dicom", out _));

    [Theory]
    [InlineData(null, true)]
    [InlineData("application/dicom", true)]
    [InlineData("application/DICOM; transfer-syntax=1.2.840.10008.1.2.1", true)]
    [InlineData("application/dicom+json", false)]
    [InlineData("image/jpeg", false)]
    public void PartContentType_OnlyDicomOrNothing_IsStored(string? contentType, bool expected) =>
        Assert.Equal(expected, StowContentType.IsDicomPart(contentType));

    private static readonly byte[][] Bodies =
    [
        [],
        Encoding.ASCII.GetBytes("\r\n--b0und4ry\r\n--b0und4ry-\r\n-- b0und4ry-x not at a line start, and a false --b0und4ry-x" ),
        Enumerable.Range(0, 200_003).Select(i => (byte)(i * 7 + i / 251)).ToArray(),
        [0x0D],
    ];

    private static byte[] Body(bool preamble = true)
    {
        var sb = new MemoryStream();
        void Ascii(string s) => sb.Write(Encoding.ASCII.GetBytes(s));
        if (preamble)
        {
            Ascii("This is a preamble, ignored (RFC 2046 5.1.1).\r\n");
        }

        for (var i = 0; i < Bodies.Length; i++)
        {
            Ascii($"--{Boundary}\r\nContent-Type: {(i == 1 ? "application/dicom+json" : "application/dicom")}\r\nContent-Length: {Bodies[i].Length}\r\n\r\n");
            sb.Write(Bodies[i]);
            Ascii("\r\n");
        }

        Ascii($"--{Boundary}--\r\nepilogue, ignored");
        return sb.ToArray();
    }

    private static async Task<List<(string? ContentType, byte[] Body)>> ReadAllAsync(Stream source)
    {
        var reader = StowEndpoints.CreateReader(Boundary, source);
        var parts = new List<(string?, byte[])>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var copy = new MemoryStream();
            await section.Body.CopyToAsync(copy);
            parts.Add((section.ContentType, copy.ToArray()));
        }

        return parts;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(13)]
    [InlineData(64)]
    [InlineData(4093)]
    [InlineData(65536)]
    [InlineData(1 << 20)]
    public async Task Read_BodyArrivingInChunks_YieldsEveryPartExactly(int chunk)
    {
        var parts = await ReadAllAsync(new ChunkedStream(Body(), _ => chunk));
        Assert.Equal(Bodies.Length, parts.Count);
        for (var i = 0; i < Bodies.Length; i++)
        {
            Assert.Equal(Bodies[i], parts[i].Body);
        }

        Assert.Equal("application/dicom+json", parts[1].ContentType);
        Assert.Equal("application/dicom", parts[2].ContentType);
    }

    [Fact]
    public async Task Read_BodySplitAtEveryOffsetOfItsFramingBytes_YieldsEveryPartExactly()
    {
        // Small bodies, so that every split point lands somewhere in a boundary, header or CRLF.
        var body = Encoding.ASCII.GetBytes(
            $"--{Boundary}\r\nContent-Type: application/dicom\r\n\r\nfirst\r\n--{Boundary}\r\n\r\nsecond\r\n\r\n--{Boundary}--\r\n");
        for (var split = 1; split < body.Length; split++)
        {
            var at = split;
            var reads = 0;
            var parts = await ReadAllAsync(new ChunkedStream(body, _ => reads++ == 0 ? at : int.MaxValue));
            Assert.Equal(2, parts.Count);
            Assert.Equal("first"u8.ToArray(), parts[0].Body);
            Assert.Equal("second\r\n"u8.ToArray(), parts[1].Body);
            Assert.Null(parts[1].ContentType);
        }
    }

    [Fact]
    public async Task Read_PartHeadersBeyondLimit_Throws()
    {
        var body = Encoding.ASCII.GetBytes($"--{Boundary}\r\nX-Big: {new string('a', 20_000)}\r\n\r\nx\r\n--{Boundary}--\r\n");
        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(new MemoryStream(body)));
    }

    [Fact]
    public async Task Read_BodyWithoutClosingBoundary_ThrowsIOException()
    {
        var body = Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Type: application/dicom\r\n\r\ntruncated instance");
        await Assert.ThrowsAsync<IOException>(() => ReadAllAsync(new MemoryStream(body)));
    }

    [Fact]
    public async Task Read_PartBody_IsStreamedThroughABoundedBuffer()
    {
        // 8 MiB part read in 64 KiB reads: no read returns more than the reader's buffer holds.
        var size = 8 << 20;
        var head = Encoding.ASCII.GetBytes($"--{Boundary}\r\n\r\n");
        var tail = Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n");
        var source = new GeneratedStream(head, size, tail);
        var reader = StowEndpoints.CreateReader(Boundary, source);
        var section = await reader.ReadNextSectionAsync();
        Assert.NotNull(section);
        var buffer = new byte[1 << 20];
        long total = 0;
        var largest = 0;
        int n;
        while ((n = await section.Body.ReadAsync(buffer)) > 0)
        {
            total += n;
            largest = Math.Max(largest, n);
            // The source must not have been read far ahead of what the part delivered.
            Assert.True(source.Position - head.Length - total <= 128 * 1024, $"read ahead {source.Position - total}");
        }

        Assert.Equal(size, total);
        Assert.True(largest <= 64 * 1024, $"largest read {largest}");
        Assert.Null(await reader.ReadNextSectionAsync());
    }

    /// <summary>Returns at most the chunk size the function gives for each read.</summary>
    private sealed class ChunkedStream(byte[] data, Func<int, int> chunk) : Stream
    {
        private int _position;
        private int _reads;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(Math.Min(buffer.Length, chunk(_reads++)), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>head, then <c>size</c> generated bytes, then tail, never held in memory at once.</summary>
    internal sealed class GeneratedStream(byte[] head, long size, byte[] tail) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => head.Length + size + tail.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = 0;
            while (n < buffer.Length && _position < Length)
            {
                if (_position < head.Length)
                {
                    buffer[n] = head[_position];
                }
                else if (_position < head.Length + size)
                {
                    buffer[n] = (byte)('A' + (_position % 23));
                }
                else
                {
                    buffer[n] = tail[_position - head.Length - size];
                }

                n++;
                _position++;
            }

            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
