using Microsoft.Extensions.Options;
using Pacs.Dicom;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// Section "Pacs:AccessGroups": which access groups a received instance gives its study (issue 12, one archive for
/// many sites). Every rule whose conditions all hold adds its group; when none holds, <see cref="Default"/>.
/// </summary>
public sealed class AccessGroupOptions
{
    public const string Section = "Pacs:AccessGroups";

    /// <summary>The group of an instance no rule matched.</summary>
    public string Default { get; set; } = "default";

    public List<AccessGroupRule> Rules { get; set; } = [];
}

/// <summary>A rule: its group, and conditions of which those given must all hold (empty: not a condition).</summary>
public sealed class AccessGroupRule
{
    public string Group { get; set; } = "";

    /// <summary>The receiving gateway's own AE title (Pacs:AeTitle): a gateway per site.</summary>
    public string CalledAeTitle { get; set; } = "";

    /// <summary>The sender's calling AE title (C-STORE only).</summary>
    public string CallingAeTitle { get; set; } = "";

    /// <summary>Institution Name (0008,0080) of the data set, compared without regard to case or surrounding spaces.</summary>
    public string InstitutionName { get; set; } = "";
}

/// <summary>Evaluates <see cref="AccessGroupOptions"/> for one instance at ingest.</summary>
internal sealed class AccessGroupRules
{
    private readonly AccessGroupRule[] _rules;
    private readonly string[] _default;
    private readonly string _calledAe;

    public AccessGroupRules(IOptions<AccessGroupOptions> options, IOptions<GatewayHostOptions> host)
    {
        var value = options.Value;
        foreach (var group in value.Rules.Select(r => r.Group).Append(value.Default))
        {
            if (!AccessGroups.IsValidName(group))
            {
                throw new OptionsValidationException(AccessGroupOptions.Section, typeof(AccessGroupOptions),
                    [$"{AccessGroupOptions.Section}: '{group}' is not a group name (1-64 of a-z, 0-9, '-', '_', '.')"]);
            }
        }

        _rules = [.. value.Rules];
        _default = [value.Default];
        _calledAe = host.Value.AeTitle.Trim();
    }

    /// <summary>No rules: every instance in the group "default" (tests of the funnel).</summary>
    public static AccessGroupRules Default { get; } = new(Options.Create(new AccessGroupOptions()), Options.Create(new GatewayHostOptions()));

    /// <summary>The groups of an instance sent by <paramref name="source"/> ("dimse:CALLINGAE" or "user:name").</summary>
    public string[] For(string source, DicomDataset dataset)
    {
        if (_rules.Length == 0)
        {
            return _default;
        }

        var callingAe = source.StartsWith("dimse:", StringComparison.Ordinal) ? source["dimse:".Length..] : null;
        string? institution = null;
        List<string>? groups = null;
        foreach (var rule in _rules)
        {
            if (rule.CalledAeTitle.Length > 0 && !string.Equals(rule.CalledAeTitle.Trim(), _calledAe, StringComparison.Ordinal))
            {
                continue;
            }

            if (rule.CallingAeTitle.Length > 0 && !string.Equals(rule.CallingAeTitle.Trim(), callingAe, StringComparison.Ordinal))
            {
                continue;
            }

            if (rule.InstitutionName.Length > 0)
            {
                institution ??= dataset.GetString(DicomTag.InstitutionName)?.Trim() ?? "";
                if (!string.Equals(rule.InstitutionName.Trim(), institution, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
            }

            groups ??= [];
            if (!groups.Contains(rule.Group, StringComparer.Ordinal))
            {
                groups.Add(rule.Group);
            }
        }

        return groups is null ? _default : [.. groups];
    }
}
