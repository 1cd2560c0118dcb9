using Microsoft.Extensions.Options;
using Pacs.Index;

namespace Pacs.Gateway.Admin;

/// <summary>Upserts the configured nodes into pacs_nodes at start-up (every gateway does; the upsert is idempotent).</summary>
internal sealed partial class NodeSeeding(NodeRegistry registry, IOptions<AdminOptions> options, ILogger<NodeSeeding> logger) : IHostedService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    private const int Attempts = 30;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var nodes = options.Value.Nodes.Select(n => new DicomNode(n.AeTitle.Trim(), n.Host.Trim(), n.Port, n.Description)
        {
            Services = n.Services.Count == 0 ? NodeService.All : [.. n.Services.Select(s => s.Trim().ToLowerInvariant())],
            RequireUserIdentity = n.RequireUserIdentity,
        }).ToList();
        foreach (var node in nodes)
        {
            if (NodeRegistry.Validate(node) is { } error)
            {
                throw new OptionsValidationException(AdminOptions.Section, typeof(AdminOptions), [$"Pacs:Nodes {node.AeTitle}: {error}"]);
            }
        }
        if (nodes.Count == 0)
        {
            return;
        }
        // The database may come up after the gateway (./pacs starts them together): retry for a bounded time.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                foreach (var node in nodes)
                {
                    await registry.UpsertAsync(node, cancellationToken).ConfigureAwait(false);
                }

                LogSeeded(logger, nodes.Count);
                return;
            }
            catch (Npgsql.NpgsqlException ex) when (attempt < Attempts)
            {
                LogRetry(logger, attempt, ex.Message);
                await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Node registry: {Count} configured node(s) upserted")]
    private static partial void LogSeeded(ILogger logger, int count);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Node registry not reachable yet (attempt {Attempt}): {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, string reason);
}
