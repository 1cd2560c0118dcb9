using System.Globalization;

namespace Pacs.Loadtests.ReadersLoad;

/// <summary>
/// The <c>--pid NAME=PID[,PID...]</c> option: the processes measured under one name (with their descendants). Two
/// gateways are one "gateway": their CPU-seconds add up, so a run with two of each reads like a run with one.
/// </summary>
internal static class PidOption
{
    /// <summary>Adds the processes of one option's value; a name given again gets the new ones too.</summary>
    public static void Add(IDictionary<string, IReadOnlyList<int>> pids, string value)
    {
        var pair = value.Split('=', 2);
        if (pair.Length != 2 || pair[0].Length == 0 || pair[1].Length == 0)
        {
            throw new ArgumentException($"--pid takes NAME=PID[,PID...], not \"{value}\"");
        }

        var list = pids.TryGetValue(pair[0], out var known) ? known.ToList() : [];
        foreach (var part in pair[1].Split(','))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            {
                throw new ArgumentException($"--pid {pair[0]}: \"{part}\" is not a process id");
            }

            if (!list.Contains(pid))
            {
                list.Add(pid);
            }
        }
        pids[pair[0]] = list;
    }
}
