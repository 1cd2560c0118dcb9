namespace Pacs.EndToEnd.Tests;

/// <summary>An archive whose silo and gateway run the Orleans dashboard (<c>Pacs:Telemetry:OrleansDashboard</c>).</summary>
public sealed class OrleansDashboardArchiveFixture : ArchiveFixture
{
    protected override IEnumerable<string> ExtraSiloArguments() => ["--Pacs:Telemetry:OrleansDashboard", "true"];

    protected override IEnumerable<string> ExtraGatewayArguments() => ["--Pacs:Telemetry:OrleansDashboard", "true"];
}
