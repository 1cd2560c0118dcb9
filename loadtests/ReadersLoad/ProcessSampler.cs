using System.Globalization;

namespace Pacs.Loadtests.ReadersLoad;

/// <summary>
/// CPU time and resident memory of named processes over a run, from /proc (proc(5)): each name is one or more processes
/// and their descendants (PostgreSQL's backends are children of the postmaster; two gateways are one name). CPU is the
/// growth of utime + stime of every process seen during the run plus the roots' reaped children (cutime + cstime); peak
/// RSS is the largest sum of VmRSS over the samples (shared memory of PostgreSQL's backends is counted in each of them, so its figure is an upper bound).
/// </summary>
internal sealed class ProcessSampler(IReadOnlyDictionary<string, IReadOnlyList<int>> roots, TimeSpan interval) : IAsyncDisposable
{
    private static readonly double TicksPerSecond = 100; // USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK))
    private readonly Dictionary<string, Dictionary<int, long>> _baseline = [];
    private readonly Dictionary<string, Dictionary<int, long>> _last = [];
    private readonly Dictionary<string, long> _reapedBaseline = [];
    private readonly Dictionary<string, long> _reapedLast = [];
    private readonly Dictionary<string, long> _peakRssKb = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private Task? _loop;

    public void Start()
    {
        var children = Children();
        foreach (var (name, root) in roots)
        {
            var ticks = Trees(root, children).ToDictionary(p => p, CpuTicks);
            _baseline[name] = ticks;
            _last[name] = new Dictionary<int, long>(ticks);
            _reapedBaseline[name] = _reapedLast[name] = ReapedTicks(root);
            _peakRssKb[name] = 0;
        }
        Sample();
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    Sample();
                }
            }
            catch (OperationCanceledException) { }
        });
    }

    /// <summary>CPU-seconds and peak RSS (MB) per name since <see cref="Start"/>.</summary>
    public async Task<IReadOnlyDictionary<string, ProcessUsage>> StopAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        Sample();
        lock (_lock)
        {
            return roots.Keys.ToDictionary(name => name, name =>
            {
                var cpu = _last[name].Sum(p => p.Value - _baseline[name].GetValueOrDefault(p.Key))
                    + (_reapedLast[name] - _reapedBaseline[name]);
                return new ProcessUsage(roots[name], Math.Round(cpu / TicksPerSecond, 2), Math.Round(_peakRssKb[name] / 1024.0, 1));
            });
        }
    }

    private void Sample()
    {
        lock (_lock)
        {
            // One pass over /proc for all names: each pass reads every process's stat file.
            var children = Children();
            foreach (var (name, root) in roots)
            {
                long rss = 0;
                foreach (var pid in Trees(root, children))
                {
                    var ticks = CpuTicks(pid);
                    if (ticks >= 0)
                    {
                        _last[name][pid] = ticks;
                    }

                    rss += RssKb(pid);
                }
                var reaped = ReapedTicks(root);
                if (reaped >= 0)
                {
                    _reapedLast[name] = reaped;
                }

                _peakRssKb[name] = Math.Max(_peakRssKb[name], rss);
            }
        }
    }

    /// <summary>The processes and their descendants, each once.</summary>
    private static IEnumerable<int> Trees(IReadOnlyList<int> roots, Dictionary<int, List<int>> children) =>
        roots.SelectMany(root => Tree(root, children)).Distinct();

    /// <summary>The process and its descendants, from the parent ids in /proc/*/stat.</summary>
    private static List<int> Tree(int root, Dictionary<int, List<int>> children)
    {
        var result = new List<int>();
        if (StatFields(root) is null)
        {
            return result;
        }

        var queue = new Queue<int>([root]);
        while (queue.TryDequeue(out var pid))
        {
            result.Add(pid);
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                queue.Enqueue(child);
            }
        }
        return result;
    }

    /// <summary>Every process's children, by parent id (field 4 of /proc/PID/stat).</summary>
    private static Dictionary<int, List<int>> Children()
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            var fields = StatFields(pid);
            if (fields is null)
            {
                continue;
            }

            var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (!children.TryGetValue(parent, out var list))
            {
                children[parent] = list = [];
            }

            list.Add(pid);
        }
        return children;
    }

    /// <summary>utime + stime in clock ticks (fields 14 and 15 of /proc/PID/stat), -1 when the process is gone.</summary>
    internal static long CpuTicks(int pid) => StatFields(pid) is { } f
        ? long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)
        : -1;

    /// <summary>cutime + cstime of every root (fields 16 and 17), -1 when one of them is gone.</summary>
    private static long ReapedTicks(IReadOnlyList<int> roots)
    {
        long sum = 0;
        foreach (var pid in roots)
        {
            if (StatFields(pid) is not { } f)
            {
                return -1;
            }

            sum += long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
        }
        return sum;
    }

    private static long RssKb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }

    /// <summary>The fields of /proc/PID/stat after the command name (field 3, "state", is index 0), or null.</summary>
    private static string[]? StatFields(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        // The command name is in parentheses and may hold spaces and parentheses itself: split after the last ')'.
        var close = text.LastIndexOf(')');
        return close < 0 ? null : text[(close + 2)..].Split(' ');
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }
}

/// <summary>One name's process trees: their CPU-seconds during the run and their peak resident memory together.</summary>
internal sealed record ProcessUsage(IReadOnlyList<int> Pids, double CpuSeconds, double PeakRssMb);
