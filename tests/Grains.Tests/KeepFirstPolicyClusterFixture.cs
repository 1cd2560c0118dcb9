namespace Pacs.Grains.Tests;

/// <summary>A cluster with the product's default duplicate policy, keep-first (the base fixture uses Replace).</summary>
public sealed class KeepFirstPolicyClusterFixture : ArchiveClusterFixture
{
    public KeepFirstPolicyClusterFixture()
        : base(DuplicatePolicy.KeepFirst)
    {
    }
}
