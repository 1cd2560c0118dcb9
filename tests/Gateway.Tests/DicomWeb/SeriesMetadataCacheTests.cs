using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Cluster;
using Pacs.Gateway.DicomWeb;
using Pacs.Gateway.Tests.Cluster;
using Pacs.Grains;

namespace Pacs.Gateway.Tests.DicomWeb;

public sealed class SeriesMetadataCacheTests
{
    /// <summary>A study grain's metadata answers, as the grain gives them (the version check included).</summary>
    private sealed class SeriesSource(int jsonBytes) : IStudyGrain
    {
        public int BytesServed { get; private set; }

        /// <summary>Set: the grain's silo hangs (no answer until the caller gives up). Or it is refused (connection refused).</summary>
        public bool Hung { get; set; }

        public bool Refused { get; set; }

        public async Task<SeriesMetadata?> GetSeriesMetadataAsync(string seriesInstanceUid, string? knownVersion, CancellationToken cancellationToken)
        {
            if (Hung)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            if (Refused)
            {
                throw new SiloUnavailableException("test: connection refused");
            }

            return await Answer(seriesInstanceUid, knownVersion);
        }

        private Task<SeriesMetadata?> Answer(string seriesInstanceUid, string? knownVersion)
        {
            var version = "v-" + seriesInstanceUid;
            if (knownVersion == version)
            {
                return Task.FromResult<SeriesMetadata?>(new SeriesMetadata { Version = version });
            }

            BytesServed += jsonBytes;
            var json = new byte[jsonBytes];
            Array.Fill(json, (byte)' ');
            json[0] = (byte)'[';
            json[1] = (byte)'{';
            json[2] = (byte)'}';
            json[^1] = (byte)']';
            return Task.FromResult<SeriesMetadata?>(new SeriesMetadata { Version = version, Json = json, SopInstanceUids = ["1"], Offsets = [1], Lengths = [2] });
        }

        public Task<CommitResult> CommitAsync(InstanceRecord instance, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<CommitResult>> CommitManyAsync(IReadOnlyList<InstanceRecord> instances, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task PrepareAsync() => throw new NotSupportedException();
        public Task<IReadOnlyList<string>> DeleteAsync(string? seriesInstanceUid, string? sopInstanceUid) => throw new NotSupportedException();
        public Task<IReadOnlyList<string>> GetSeriesInstanceUidsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    [Fact]
    public async Task GetAsync_OverBudget_DropsLeastRecentlyUsedAndStaysWithinIt()
    {
        const int mib = 1024 * 1024;
        var cache = NewCache(16);
        var grain = new SeriesSource(3 * mib);

        for (var i = 0; i < 4; i++)
        {
            await cache.GetAsync(grain, "s", "series" + i, "http://x/dicom-web");
        }
        // series0 used again: the least recently used is now series1.
        await cache.GetAsync(grain, "s", "series0", "http://x/dicom-web");
        for (var i = 4; i < 10; i++)
        {
            await cache.GetAsync(grain, "s", "series" + i, "http://x/dicom-web");
        }

        Assert.True(cache.Bytes <= 16L * mib, $"cache holds {cache.Bytes} bytes");
        Assert.InRange(cache.Count, 2, 5);
        // The most recent series is served from the cache (only the version check reaches the grain).
        var served = grain.BytesServed;
        await cache.GetAsync(grain, "s", "series9", "http://x/dicom-web");
        Assert.Equal(served, grain.BytesServed);
        // The oldest is gone: its bytes come from the grain again.
        await cache.GetAsync(grain, "s", "series1", "http://x/dicom-web");
        Assert.Equal(served + 3 * mib, grain.BytesServed);
    }

    [Fact]
    public async Task GetAsync_SeriesLargerThanAQuarterOfTheBudget_ServedButNotKept()
    {
        var cache = NewCache(4);
        var grain = new SeriesSource(2 * 1024 * 1024);

        var rendered = await cache.GetAsync(grain, "s", "big", "http://x/dicom-web");

        Assert.NotNull(rendered);
        Assert.Equal(0, cache.Count);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task GetAsync_GrainHungOrRefusedAndACopyHeld_ServesTheCopyWithinTheBudget(bool hung, bool refused)
    {
        var cache = NewCache(16);
        var grain = new SeriesSource(1024);
        var first = await cache.GetAsync(grain, "s", "series0", "http://x/dicom-web");
        grain.Hung = hung;
        grain.Refused = refused;

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var served = await cache.GetAsync(grain, "s", "series0", "http://x/dicom-web");

        Assert.Same(first, served);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task GetAsync_GrainHungAndNothingHeld_FailsAfterAskingAgainNotServingAnything()
    {
        var cache = NewCache(16);
        var grain = new SeriesSource(1024) { Hung = true };

        await Assert.ThrowsAsync<TimeoutException>(() => cache.GetAsync(grain, "s", "series0", "http://x/dicom-web"));
        Assert.Equal(0, cache.Count);
    }

    private static SeriesMetadataCache NewCache(int megabytes) => new(
        Options.Create(new DicomWebOptions { MetadataCacheMegabytes = megabytes }),
        GrainCallsForTests.Create(retryFor: TimeSpan.FromMilliseconds(300)),
        Options.Create(new GrainCallOptions { MetadataBudget = TimeSpan.FromMilliseconds(200) }),
        NullLogger<SeriesMetadataCache>.Instance);
}
