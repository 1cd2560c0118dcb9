namespace Pacs.Dicom.Query;

/// <summary>
/// The archive's one normal form for person names in the index (*_search columns), so that the index and the
/// matcher agree: each component upper-cased with accents folded (<see cref="PersonNameMatch.Fold"/>), trailing
/// spaces of components and trailing empty components of each group dropped (PS3.5 6.2.1.1: they are insignificant),
/// components joined with '^' and groups with '='.
/// </summary>
public static class PersonNameSearch
{
    public static string Normalize(string? personName)
    {
        if (string.IsNullOrEmpty(personName))
        {
            return "";
        }

        var groups = personName.Split('=');
        for (var g = 0; g < groups.Length; g++)
        {
            var components = groups[g].Split('^');
            for (var c = 0; c < components.Length; c++)
            {
                components[c] = PersonNameMatch.Fold(components[c].Trim(' '));
            }

            groups[g] = string.Join('^', components).TrimEnd('^');
        }

        return string.Join('=', groups).TrimEnd('=');
    }
}
