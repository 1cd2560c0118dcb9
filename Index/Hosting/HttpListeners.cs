using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace Pacs.Hosting;

/// <summary>
/// The HTTP URLs (--urls, ASPNETCORE_URLS) listened on explicitly. A host that adds a listener of its own in code (the
/// gateway's DICOM port, the management port of either host) makes Kestrel ignore --urls, so both hosts listen on
/// them here, once, whatever else they listen on.
/// </summary>
public static class HttpListeners
{
    public static IWebHostBuilder ListenConfiguredUrls(this IWebHostBuilder webHost, IConfiguration configuration) =>
        webHost.ConfigureKestrel(kestrel =>
        {
            var urls = configuration["urls"] ?? configuration["ASPNETCORE_URLS"] ?? "http://localhost:5000";
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // "http://host:port" with host an address, localhost, or * / + / 0.0.0.0 for every interface.
                var uri = new Uri(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal));
                if (uri.Scheme != Uri.UriSchemeHttp)
                {
                    throw new InvalidOperationException($"Only http URLs are supported here: {url}");
                }

                if (uri.IsLoopback && uri.Host == "localhost")
                {
                    kestrel.ListenLocalhost(uri.Port);
                }
                else if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
                {
                    if (address.Equals(IPAddress.Any))
                    {
                        kestrel.ListenAnyIP(uri.Port);
                    }
                    else
                    {
                        kestrel.Listen(address, uri.Port);
                    }
                }
                else
                {
                    kestrel.ListenAnyIP(uri.Port);
                }
            }
        });
}
