using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Dimse;
using Pacs.Index;

namespace Pacs.Gateway.Admin;

/// <summary>
/// The node registry of the admin API, /api/dicom-nodes (admins only, policy <see cref="Policies.Admin"/>); accounts
/// are <see cref="UsersEndpoints"/>. Every error is a problem details body (RFC 9457).
/// </summary>
internal static class AdminEndpoints
{
    public static IServiceCollection AddArchiveAdmin(this IServiceCollection services)
    {
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section);
        services.AddProblemDetails();
        services.AddSingleton<NodeRegistry>();
        services.AddSingleton<StudyAccessGroups>();
        services.AddHostedService<NodeSeeding>();
        return services;
    }

    public static RouteGroupBuilder MapArchiveAdmin(this IEndpointRouteBuilder app)
    {
        var nodes = app.MapGroup("/api/dicom-nodes").RequireAuthorization(Policies.Admin);
        nodes.MapGet("/", ListNodes);
        nodes.MapGet("/{ae}", GetNode);
        nodes.MapPut("/{ae}", PutNode);
        nodes.MapDelete("/{ae}", DeleteNode);
        app.MapUsers();
        app.MapAccessGroups();
        app.MapAdminPages();
        return nodes;
    }

    private static async Task<Ok<IReadOnlyList<DicomNode>>> ListNodes(NodeRegistry registry, CancellationToken cancellationToken) =>
        TypedResults.Ok(await registry.ListAsync(cancellationToken).ConfigureAwait(false));

    private static async Task<Results<Ok<DicomNode>, ProblemHttpResult>> GetNode(string ae, NodeRegistry registry, CancellationToken cancellationToken) =>
        await registry.FindAsync(ae, cancellationToken).ConfigureAwait(false) is { } node
            ? TypedResults.Ok(node)
            : NotFound(ae);

    /// <summary>The body of PUT /api/dicom-nodes/{ae}: the AE title is the URL's.</summary>
    internal sealed record NodeBody(string? Host, int? Port, string? Description, string[]? Services, bool? RequireUserIdentity);

    private static async Task<Results<Created<DicomNode>, Ok<DicomNode>, ProblemHttpResult>> PutNode(string ae, HttpRequest request, NodeRegistry registry, NodeAccess access, CancellationToken cancellationToken)
    {
        NodeBody? body;
        try
        {
            body = await request.ReadFromJsonAsync<NodeBody>(JsonOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return TypedResults.Problem(title: "invalid node", detail: "The body must be a JSON object {\"host\": ..., \"port\": ..., \"description\": ..., \"services\": [\"store\", \"find\", \"retrieve\"], \"requireUserIdentity\": false}.", statusCode: StatusCodes.Status400BadRequest);
        }
        var node = new DicomNode(ae, body?.Host?.Trim() ?? "", body?.Port ?? 0, body?.Description ?? "")
        {
            Services = body?.Services is { } services ? [.. services.Select(s => s?.Trim() ?? "")] : NodeService.All,
            RequireUserIdentity = body?.RequireUserIdentity ?? false,
        };
        if (NodeRegistry.Validate(node) is { } error)
        {
            return TypedResults.Problem(title: "invalid node", detail: error, statusCode: StatusCodes.Status400BadRequest);
        }

        var created = await registry.UpsertAsync(node, cancellationToken).ConfigureAwait(false);
        access.Forget(ae);
        return created
            ? TypedResults.Created($"/api/dicom-nodes/{Uri.EscapeDataString(ae)}", node)
            : TypedResults.Ok(node);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteNode(string ae, NodeRegistry registry, NodeAccess access, CancellationToken cancellationToken)
    {
        var deleted = await registry.DeleteAsync(ae, cancellationToken).ConfigureAwait(false);
        access.Forget(ae);
        return deleted ? TypedResults.NoContent() : NotFound(ae);
    }

    private static ProblemHttpResult NotFound(string ae) =>
        TypedResults.Problem(title: "node not found", detail: $"No node with AE title '{ae}'.", statusCode: StatusCodes.Status404NotFound);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
