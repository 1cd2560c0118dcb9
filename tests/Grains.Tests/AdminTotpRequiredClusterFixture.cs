namespace Pacs.Grains.Tests;

/// <summary>A cluster whose account rules require a TOTP second factor for admins (Pacs:Accounts:RequireTotpForAdmins).</summary>
public sealed class AdminTotpRequiredClusterFixture : ArchiveClusterFixture
{
    public AdminTotpRequiredClusterFixture()
        : base(DuplicatePolicy.Replace, new Dictionary<string, string?> { ["Pacs:Accounts:RequireTotpForAdmins"] = "true" })
    {
    }
}
