namespace Pacs.EndToEnd.Tests;

/// <summary>An archive whose silo lets a report's editing lock expire after <see cref="LockLifetime"/> (Pacs:Reports:EditingLockLifetime).</summary>
public sealed class ShortReportLockArchiveFixture : ArchiveFixture
{
    public static readonly TimeSpan LockLifetime = TimeSpan.FromSeconds(5);

    protected override IEnumerable<string> ExtraSiloArguments() =>
        ["--Pacs:Reports:EditingLockLifetime", LockLifetime.ToString("c", System.Globalization.CultureInfo.InvariantCulture)];
}
