using Blake3;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The content hash gathers what it is fed into pieces of its own size before hashing (ContentHash.PieceSize): the
/// hash must not depend on how the bytes arrived.
/// </summary>
public sealed class ContentHashTests
{
    public static TheoryData<int> PieceSizes() =>
        [1, 7, 1024, 16_384, 65_536, ContentHash.PieceSize - 1, ContentHash.PieceSize, ContentHash.PieceSize + 1, 2 * ContentHash.PieceSize + 5, int.MaxValue];

    [Theory]
    [MemberData(nameof(PieceSizes))]
    public void Append_AnyPieceSize_HashOfTheWholeAtOnce(int pieceSize)
    {
        var data = new byte[3 * ContentHash.PieceSize + 777];
        new Random(pieceSize % 1000).NextBytes(data);
        var expected = Hasher.Hash(data).AsSpan().ToArray();

        using var hash = new ContentHash();
        for (var offset = 0; offset < data.Length; offset += Math.Min(pieceSize, data.Length - offset))
        {
            hash.Append(data.AsSpan(offset, Math.Min(pieceSize, data.Length - offset)));
        }

        Assert.Equal(expected, hash.Finish());
    }

    [Fact]
    public void Append_MixedPieceSizes_HashOfTheWholeAtOnce()
    {
        var data = new byte[5 * ContentHash.PieceSize + 3];
        new Random(5).NextBytes(data);
        var expected = Hasher.Hash(data).AsSpan().ToArray();

        using var hash = new ContentHash();
        int[] sizes = [333, ContentHash.PieceSize * 2, 16_384, 1, ContentHash.PieceSize - 334, 70_000];
        var offset = 0;
        for (var i = 0; offset < data.Length; i++)
        {
            var size = Math.Min(sizes[i % sizes.Length], data.Length - offset);
            hash.Append(data.AsSpan(offset, size));
            offset += size;
        }

        Assert.Equal(expected, hash.Finish());
    }

    [Fact]
    public void Finish_NothingAppended_HashOfEmptyInput()
    {
        using var hash = new ContentHash();

        Assert.Equal(Hasher.Hash([]).AsSpan().ToArray(), hash.Finish());
    }
}
