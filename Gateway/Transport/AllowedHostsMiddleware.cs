using Microsoft.Extensions.Options;

namespace Pacs.Gateway.Transport;

/// <summary>
/// Answers 400 to a request whose Host header is not one of ours (<see cref="HttpHostOptions.AllowedHosts"/>). A web
/// page on another origin can make a browser on the same machine or network resolve its own name to our address (DNS
/// rebinding) and then read our answers as same-origin; it cannot make the browser send our name as Host. Health
/// probes are exempt: Kubernetes' kubelet sends the pod's address, and they carry no data.
/// When a public base URL is configured, the request is then seen as addressed to it, so that every URL we give out
/// (RetrieveURL, BulkDataURI) is built from configuration, never from what a client sent.
/// </summary>
internal sealed class AllowedHostsMiddleware
{
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    private readonly RequestDelegate _next;
    private readonly bool _any;
    private readonly HashSet<string> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _suffixes = [];
    private readonly Uri? _publicBase;

    public AllowedHostsMiddleware(RequestDelegate next, IOptions<HttpHostOptions> options)
    {
        _next = next;
        var value = options.Value;
        if (!string.IsNullOrWhiteSpace(value.PublicBaseUrl))
        {
            if (!Uri.TryCreate(value.PublicBaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new OptionsValidationException(HttpHostOptions.Section, typeof(HttpHostOptions), [$"Pacs:Http:PublicBaseUrl must be an absolute http(s) URL: '{value.PublicBaseUrl}'"]);
            }

            _publicBase = uri;
        }
        var hosts = value.AllowedHosts.Select(h => h.Trim()).Where(h => h.Length > 0).ToList();
        if (hosts.Count == 0)
        {
            hosts.AddRange(LoopbackHosts);
            if (_publicBase is not null)
            {
                hosts.Add(_publicBase.Host);
            }
        }
        foreach (var host in hosts)
        {
            if (host == "*")
            {
                _any = true;
            }
            else if (host.StartsWith("*.", StringComparison.Ordinal))
            {
                _suffixes.Add(host[1..]);
            }
            else
            {
                _exact.Add(host);
            }
        }
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (!_any && !context.Request.Path.StartsWithSegments("/health") && !IsAllowed(context.Request.Host))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad Request",
                detail: "The Host header does not name this server.").ExecuteAsync(context);
        }
        if (_publicBase is not null)
        {
            context.Request.Scheme = _publicBase.Scheme;
            context.Request.Host = HostString.FromUriComponent(_publicBase.Authority); // no default port
            var path = _publicBase.AbsolutePath.TrimEnd('/');
            if (path.Length > 0)
            {
                context.Request.PathBase = new PathString(path).Add(context.Request.PathBase);
            }
        }
        return _next(context);
    }

    private bool IsAllowed(HostString host)
    {
        if (!host.HasValue)
        {
            return false;
        }
        // Host is "name[:port]" (RFC 9110 7.2); an entry may name the port or not.
        if (_exact.Contains(host.Value) || _exact.Contains(host.Host))
        {
            return true;
        }

        foreach (var suffix in _suffixes)
        {
            if (host.Host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && host.Host.Length > suffix.Length)
            {
                return true;
            }
        }

        return false;
    }
}
