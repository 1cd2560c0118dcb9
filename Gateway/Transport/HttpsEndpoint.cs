namespace Pacs.Gateway.Transport;

/// <summary>The HTTPS port this gateway listens on, if any (the target of the HTTP redirect).</summary>
internal sealed record HttpsEndpoint(int? Port);
