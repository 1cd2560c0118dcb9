namespace Pacs.Gateway.Tests;

public sealed class LargeBlockMemoryPoolTests
{
    [Fact]
    public void Rent_ReturnedBlock_IsReusedWhole()
    {
        using var pool = new LargeBlockMemoryPool();

        var first = pool.Rent(1);
        Assert.Equal(LargeBlockMemoryPool.BlockSize, first.Memory.Length);
        first.Memory.Span[0] = 42;
        first.Dispose();
        first.Dispose(); // twice is harmless: the block is returned once
        using var second = pool.Rent();
        using var third = pool.Rent();

        Assert.Equal(42, second.Memory.Span[0]);
        Assert.False(second.Memory.Span.Overlaps(third.Memory.Span));
        Assert.Throws<ObjectDisposedException>(() => first.Memory);
    }

    [Fact]
    public void Rent_LargerThanABlock_IsRefused()
    {
        using var pool = new LargeBlockMemoryPool();

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPool.BlockSize + 1));
    }
}
