using System.Globalization;
using Pacs.EndToEnd.Tests;

// Usage: Pacs.Loadtests.FailoverDrill [event ...]   events: SiloKilled SiloHung SiloStopped DatabaseRestarted SiloSlow
// (default: all). Starts a private PostgreSQL, two silos and two gateways (the end-to-end tests' ClusterFixture), runs
// each event once under eight readers and four C-STORE senders, prints the figures and the failover issue's bounds
// (exit code 1 when one does not hold; SiloSlow is a measurement without a bound).
var events = args.Length == 0
    ? Enum.GetValues<FailoverEvent>()
    : args.Select(a => Enum.Parse<FailoverEvent>(a, ignoreCase: true)).ToArray();

void Say(string line) => Console.WriteLine($"{DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} {line}");

var cluster = new ClusterFixture();
var failed = 0;
try
{
    Say("starting PostgreSQL, 2 silos, 2 gateways");
    await cluster.InitializeAsync();
    var drill = new FailoverDrill(cluster, Say);
    var results = new List<FailoverFigures>();
    foreach (var what in events)
    {
        var figures = await drill.RunAsync(what, what.ToString().ToLowerInvariant());
        results.Add(figures);
    }

    Console.WriteLine();
    Console.WriteLine("event               readers  failed  max(ms)  stall(s)  stores  failed  max(ms)  dead(s)  verdict");
    foreach (var f in results)
    {
        var violations = f.Violations();
        failed += violations.Count;
        var dead = f.DeclaredDeadAfter is { } d ? d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) : "-";
        var verdict = f.Event is FailoverEvent.SiloSlow ? "measured" : violations.Count == 0 ? "PASS" : "FAIL: " + string.Join("; ", violations);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{f.Event,-19} {f.Readers.Count,8} {f.ReaderFailures,7} {f.ReaderMax.TotalMilliseconds,8:0} {f.LongestReaderStall.TotalSeconds,9:0.0} {f.Stores.Count,7} {f.StoreFailures,7} {f.StoreMax.TotalMilliseconds,8:0} {dead,8}  {verdict}"));
        if (f.Event is FailoverEvent.DatabaseRestarted)
        {
            Console.WriteLine("  " + f.Report());
        }
    }
}
finally
{
    await cluster.DisposeAsync();
}

return failed == 0 ? 0 : 1;
