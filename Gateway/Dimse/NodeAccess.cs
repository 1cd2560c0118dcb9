using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Pacs.Index;

namespace Pacs.Gateway.Dimse;

/// <summary>
/// Whether a calling AE title may use a DIMSE service (issue 12, "DIMSE"): with <see cref="CallingAePolicy.Registered"/>
/// only nodes of the registry associate, each for the services it lists. What was read of a node is trusted for
/// <see cref="DimseOptions.NodeCacheSeconds"/>, so that a modality's associations do not each cost a query; the
/// cache holds at most <see cref="MaxCached"/> AE titles (unknown ones included) and starts over beyond.
/// </summary>
internal sealed class NodeAccess(NodeRegistry registry, IOptions<DimseOptions> dimse, IOptions<GatewayHostOptions> host)
{
    public const int MaxCached = 4096;

    private readonly ConcurrentDictionary<string, (DicomNode? Node, long ReadAt)> _cache = new(StringComparer.Ordinal);

    public bool RegisteredOnly { get; } = (dimse.Value.CallingAePolicy ?? (host.Value.Production ? CallingAePolicy.Registered : CallingAePolicy.Open)) == CallingAePolicy.Registered;

    /// <summary>The registered node of <paramref name="aeTitle"/>, or null when it is not registered.</summary>
    public async ValueTask<DicomNode?> FindAsync(string aeTitle, CancellationToken cancellationToken)
    {
        var now = Stopwatch.GetTimestamp();
        if (_cache.TryGetValue(aeTitle, out var cached) && Stopwatch.GetElapsedTime(cached.ReadAt, now).TotalSeconds < dimse.Value.NodeCacheSeconds)
        {
            return cached.Node;
        }

        var node = await registry.FindAsync(aeTitle, cancellationToken).ConfigureAwait(false);
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }

        _cache[aeTitle] = (node, now);
        return node;
    }

    /// <summary>True when the policy is open, or the node is registered with <paramref name="service"/> (a <see cref="NodeService"/>).</summary>
    public async ValueTask<bool> AllowsAsync(string aeTitle, string service, CancellationToken cancellationToken) =>
        !RegisteredOnly || await FindAsync(aeTitle, cancellationToken).ConfigureAwait(false) is { } node && node.Allows(service);

    /// <summary>Forgets what was read of <paramref name="aeTitle"/> (the admin API changed it).</summary>
    public void Forget(string aeTitle) => _cache.TryRemove(aeTitle, out _);
}
