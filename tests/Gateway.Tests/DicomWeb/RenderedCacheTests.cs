using Microsoft.Extensions.Options;
using Pacs.Gateway.DicomWeb;
using Pacs.Gateway.DicomWeb.Rendering;

namespace Pacs.Gateway.Tests.DicomWeb;

public sealed class RenderedCacheTests
{
    private static readonly RenderOptions Thumbnail = new(1, null, 128, 128, 90, RenderedFormat.Jpeg, Thumbnail: true);

    private static RenderedCache Cache(int megabytes) => new(Options.Create(new DicomWebOptions { RenderedCacheMegabytes = megabytes }));

    [Fact]
    public void TryGet_SameBlobAndOptions_TheBytesAdded()
    {
        var cache = Cache(1);
        var image = new byte[] { 0xFF, 0xD8, 1, 2, 3 };
        cache.Add("s/a", Thumbnail, image, RenderedMediaType.Jpeg);

        Assert.True(cache.TryGet("s/a", Thumbnail with { }, out var entry));
        Assert.Equal(image, entry.Bytes);
        Assert.Equal(RenderedMediaType.Jpeg, entry.ContentType);
    }

    [Fact]
    public void TryGet_OtherBlobOrAnyOtherOption_NotFound()
    {
        var cache = Cache(1);
        cache.Add("s/a", Thumbnail, [1], RenderedMediaType.Jpeg);

        // A replaced instance has a new blob key; every rendering option is part of the key.
        Assert.False(cache.TryGet("s/b", Thumbnail, out _));
        Assert.False(cache.TryGet("s/a", Thumbnail with { Frame = 2 }, out _));
        Assert.False(cache.TryGet("s/a", Thumbnail with { Window = new VoiWindow(40, 400) }, out _));
        Assert.False(cache.TryGet("s/a", Thumbnail with { ViewportWidth = 64, ViewportHeight = 64 }, out _));
        Assert.False(cache.TryGet("s/a", Thumbnail with { Quality = 50 }, out _));
        Assert.False(cache.TryGet("s/a", Thumbnail with { Format = RenderedFormat.Png }, out _));
        Assert.False(cache.TryGet("s/a", Thumbnail with { Thumbnail = false }, out _));
    }

    [Fact]
    public void Add_BeyondTheBudget_StaysWithinItAndKeepsTheRecentlyUsed()
    {
        var cache = Cache(1); // 1 MiB: images of 32 KiB, at most 32 of them
        var image = new byte[32 * 1024];
        cache.Add("keep", Thumbnail, image, RenderedMediaType.Jpeg);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(cache.TryGet("keep", Thumbnail, out _) || i == 0);
            cache.Add("blob-" + i, Thumbnail, image, RenderedMediaType.Jpeg);
            Assert.True(cache.Bytes <= 1024 * 1024, $"{cache.Bytes} bytes after {i + 1} images");
        }

        Assert.True(cache.TryGet("keep", Thumbnail, out _), "the image used all along was evicted");
        Assert.False(cache.TryGet("blob-0", Thumbnail, out _), "the oldest unused image is still there");
        Assert.Equal(cache.Count * image.Length, cache.Bytes);
    }

    [Fact]
    public void Add_ImageOverASixteenthOfTheBudget_NotKept()
    {
        var cache = Cache(1);
        cache.Add("big", Thumbnail, new byte[1024 * 1024 / 16 + 1], RenderedMediaType.Jpeg);
        cache.Add("fits", Thumbnail, new byte[1024 * 1024 / 16], RenderedMediaType.Jpeg);

        Assert.False(cache.TryGet("big", Thumbnail, out _));
        Assert.True(cache.TryGet("fits", Thumbnail, out _));
    }

    [Fact]
    public void Add_BudgetZero_NothingKept()
    {
        var cache = Cache(0);
        cache.Add("s/a", Thumbnail, [1, 2, 3], RenderedMediaType.Jpeg);

        Assert.False(cache.TryGet("s/a", Thumbnail, out _));
        Assert.Equal(0, cache.Bytes);
    }
}
