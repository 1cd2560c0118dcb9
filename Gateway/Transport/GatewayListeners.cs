using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using Pacs.Dicom.Network;
using Pacs.Gateway.Dimse;

namespace Pacs.Gateway.Transport;

/// <summary>
/// Every listener of the gateway in Kestrel: the HTTP and HTTPS URLs of --urls, the DICOM port (PS3.8) and the DICOM
/// TLS port (PS3.15 B.1). Listening explicitly makes Kestrel ignore --urls, so the URLs are listened on here too;
/// this used to accept only http URLs, which is why https refused to start whenever the DICOM port was on. HTTPS and
/// DICOM TLS present the same certificate (<see cref="ServerCertificate"/>, reloaded when its files change).
/// </summary>
internal static class GatewayListeners
{
    public static IServiceCollection AddTransportSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TlsOptions>().BindConfiguration(TlsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<HttpHostOptions>().BindConfiguration(HttpHostOptions.Section);
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<HttpHostOptions>>((forwarded, host) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies: not even loopback by default.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in host.Value.TrustedProxies)
            {
                forwarded.KnownIPNetworks.Add(proxy.Contains('/', StringComparison.Ordinal)
                    ? System.Net.IPNetwork.Parse(proxy)
                    : new System.Net.IPNetwork(IPAddress.Parse(proxy), IPAddress.Parse(proxy).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
        });
        services.AddSingleton<ServerCertificate>();
        services.AddSingleton(new HttpsEndpoint(Urls(configuration).FirstOrDefault(u => u.Scheme == Uri.UriSchemeHttps)?.Port));
        return services;
    }

    /// <summary>
    /// The client's address and scheme from trusted proxies (<see cref="HttpHostOptions.TrustedProxies"/>), then the
    /// Host allow-list and public base URL, then the headers every response gets.
    /// </summary>
    public static IApplicationBuilder UseTransportSecurity(this IApplicationBuilder app)
    {
        if (app.ApplicationServices.GetRequiredService<IOptions<HttpHostOptions>>().Value.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        return app.UseMiddleware<SecurityHeadersMiddleware>().UseMiddleware<AllowedHostsMiddleware>();
    }

    public static IWebHostBuilder ListenGateway(this IWebHostBuilder webHost, GatewayHostOptions options, IConfiguration configuration) =>
        // A long accept queue: while a flood of connections is being accepted (and refused past the quotas), a
        // modality's SYN must not find the queue full and be dropped, which costs it a 1 s retransmission (Linux
        // caps this at net.core.somaxconn, 4096 by default).
        webHost.UseSockets(sockets => sockets.Backlog = 4096).ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var services = kestrel.ApplicationServices;
            var tls = services.GetRequiredService<IOptions<TlsOptions>>().Value;
            var certificate = services.GetRequiredService<ServerCertificate>();

            foreach (var uri in Urls(configuration))
            {
                Action<ListenOptions> configure = _ => { };
                if (uri.Scheme == Uri.UriSchemeHttps)
                {
                    if (!certificate.Enabled)
                    {
                        throw new InvalidOperationException($"{uri} is an https URL but no certificate is configured (Pacs:Tls:CertificatePath).");
                    }

                    configure = listen => listen.UseHttps(Https(certificate, tls));
                }
                else if (uri.Scheme != Uri.UriSchemeHttp)
                {
                    throw new InvalidOperationException($"Only http and https URLs can be listened on: {uri}");
                }
                if (uri.IsLoopback && uri.Host == "localhost")
                {
                    kestrel.ListenLocalhost(uri.Port, configure);
                }
                else if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
                {
                    if (address.Equals(IPAddress.Any))
                    {
                        kestrel.ListenAnyIP(uri.Port, configure);
                    }
                    else
                    {
                        kestrel.Listen(address, uri.Port, configure);
                    }
                }
                else
                {
                    kestrel.ListenAnyIP(uri.Port, configure);
                }
            }

            var bind = IPAddress.Parse(options.DicomBindAddress);
            if (options.DicomPort != 0)
            {
                kestrel.Listen(bind, options.DicomPort, listen => listen.UseConnectionHandler<DicomConnectionHandler>());
            }

            if (certificate.Enabled && tls.DicomPort != 0)
            {
                kestrel.Listen(bind, tls.DicomPort, listen =>
                {
                    listen.Use(next => ActivatorUtilities.CreateInstance<DicomTlsConnectionMiddleware>(services, next).OnConnectionAsync);
                    listen.UseConnectionHandler<DicomConnectionHandler>();
                });
            }
        });

    private static HttpsConnectionAdapterOptions Https(ServerCertificate certificate, TlsOptions tls) => new()
    {
        // BCP 195 (RFC 9325 3.1.1): TLS 1.2 and 1.3 only, the same profile as DICOM TLS.
        SslProtocols = DicomTls.Protocols,
        ServerCertificateSelector = (_, _) => certificate.Current,
        HandshakeTimeout = TimeSpan.FromSeconds(tls.HandshakeTimeoutSeconds),
        CheckCertificateRevocation = false,
    };

    /// <summary>"http(s)://host:port" with host an address, localhost, or * / + / 0.0.0.0 for every interface.</summary>
    private static IEnumerable<Uri> Urls(IConfiguration configuration)
    {
        var urls = configuration["urls"] ?? configuration["ASPNETCORE_URLS"] ?? "http://localhost:5000";
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            yield return new Uri(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal));
        }
    }
}
