// TEMPORARY (gw branch): stand-ins for the ingest helper's IngestService, AddArchiveIngest and FileBlobStore so that the
// gateway compiles before branch `ingest` lands. Delete this file when merging `ingest` (duplicate type errors say so).
using Pacs.Gateway.Storage;

namespace Pacs.Gateway.Ingest;

public sealed class IngestService
{
    public async Task<IngestResult> StoreAsync(IngestRequest request, Stream source, CancellationToken ct)
    {
        await source.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
        return new IngestResult(IngestStatus.OutOfResources, ErrorComment: "ingest not available yet");
    }
}

public static class TemporaryIngestServiceCollectionExtensions
{
    public static IServiceCollection AddArchiveIngest(this IServiceCollection services)
    {
        services.AddSingleton<IngestService>();
        services.AddSingleton<IBlobStore, TemporaryNoBlobStore>();
        return services;
    }

    private sealed class TemporaryNoBlobStore : IBlobStore
    {
        public ValueTask<IBlobWrite> BeginWriteAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();
        public ValueTask<Stream> OpenReadAsync(string key, long offset = 0, long? length = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken) => ValueTask.FromResult(false);
        public ValueTask DeleteAsync(string key, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
