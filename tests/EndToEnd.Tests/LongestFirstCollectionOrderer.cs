using Xunit.Abstractions;

[assembly: TestCollectionOrderer("Pacs.EndToEnd.Tests.LongestFirstCollectionOrderer", "Pacs.EndToEnd.Tests")]

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// The order in which xUnit starts the collections, two at a time (xunit.runner.json): the longest first, so that the
/// last ones to start are short and neither lane idles at the end while the other finishes a long one (a long
/// collection started last once kept one lane alone for 70 s). The seconds are each collection's time alone, fixture
/// included (2026-12-07, docs/benchmarks.md "Test suite time"); a collection not listed starts after these. The
/// collections that run alone (DisableParallelization) come after all of them whatever their place here.
/// </summary>
public sealed class LongestFirstCollectionOrderer : ITestCollectionOrderer
{
    private static readonly Dictionary<string, int> Seconds = new(StringComparer.Ordinal)
    {
        [ViewerArchiveCollection.Name] = 115,
        [OwnCollection(nameof(DataHandlingTests))] = 85,
        [OwnCollection(nameof(PacsUpDatabaseTests))] = 78,
        [DicomWebArchiveCollection.Name] = 55,
        [OwnCollection(nameof(BackupRestoreDrillTests))] = 51,
        [ReadersArchiveCollection.Name] = 50,
        [StowArchiveCollection.Name] = 36,
        [AuditArchiveCollection.Name] = 30,
        [OwnCollection(nameof(ReportLockExpiryTests))] = 22,
        [TlsArchiveCollection.Name] = 20,
        [ViewerCorpusCollection.Name] = 17,
        [OwnCollection(nameof(OrleansDashboardTests))] = 10,
    };

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderByDescending(c => Seconds.GetValueOrDefault(c.DisplayName));

    // The name xUnit gives the collection of a class of this namespace without a [Collection] of its own.
    private static string OwnCollection(string className) => $"Test collection for {typeof(LongestFirstCollectionOrderer).Namespace}.{className}";
}
