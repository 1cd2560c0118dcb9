using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;

namespace Pacs.Hosting;

/// <summary>
/// Log levels both hosts start from, below every other configuration source, so an operator's
/// <c>Logging__LogLevel__Polly=Information</c> (environment, command line) still wins. Without them the silo wrote
/// two Polly lines at Information for every grain placement, four per new study stored, and ASP.NET Core four per
/// health probe: noise that costs CPU on the ingest path and buries what operators need.
/// </summary>
public static class HostLogging
{
    public static void AddLogLevelDefaults(this IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                ["Logging:LogLevel:Polly"] = "Warning",
            },
        });
}
