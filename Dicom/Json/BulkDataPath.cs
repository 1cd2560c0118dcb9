using System.Globalization;

namespace Pacs.Dicom.Json;

/// <summary>
/// The archive's BulkDataURIs (PS3.18 8.6.2.1, 10.4.1.1.5): the instance's bulk data resource
/// <c>{root}/studies/{study}/series/{series}/instances/{instance}/bulkdata/</c> followed by the element's path, tag and
/// item index alternating (<c>00540016/0/00181072</c>: the element 0018,1072 in item 0 of 0054,0016; tags as 8 hex
/// digits, items 0-based). The silo writes them into series metadata and the gateway's bulk data resource reads them:
/// both through this one definition.
/// </summary>
public static class BulkDataPath
{
    /// <summary>The resource segment after the instance (the gateway's route: <c>.../instances/{instance}/bulkdata/{**path}</c>).</summary>
    public const string Segment = "bulkdata";

    /// <summary>Everything before the element's path, ending in '/'.</summary>
    public static string InstancePrefix(string root, string study, string series, string instance) =>
        $"{root}/studies/{study}/series/{series}/instances/{instance}/{Segment}/";

    /// <summary>The step into item <paramref name="index"/> of the sequence whose tag is <paramref name="tagKey"/> (8 hex digits).</summary>
    public static string ItemStep(string tagKey, int index) => tagKey + "/" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The path of <paramref name="steps"/>: each step's tag, and its item index unless it is the last (-1).</summary>
    public static string Format(IReadOnlyList<DicomPathStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        return string.Join('/', steps.Select(s => s.ItemIndex >= 0
            ? ItemStep(s.Tag.Value.ToString("X8", CultureInfo.InvariantCulture), s.ItemIndex)
            : s.Tag.Value.ToString("X8", CultureInfo.InvariantCulture)));
    }

    /// <summary>"00540016/0/00181072" into steps; the last step has item index -1. Null when malformed.</summary>
    public static IReadOnlyList<DicomPathStep>? Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var parts = path.Trim('/').Split('/');
        if (parts.Length % 2 == 0)
        {
            return null;
        }

        var steps = new List<DicomPathStep>(parts.Length / 2 + 1);
        for (var i = 0; i < parts.Length; i += 2)
        {
            if (parts[i].Length != 8 || !uint.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var tag))
            {
                return null;
            }

            var item = -1;
            if (i + 1 < parts.Length && (!int.TryParse(parts[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out item) || item < 0))
            {
                return null;
            }

            steps.Add(new DicomPathStep(new DicomTag(tag), item));
        }
        return steps;
    }
}
