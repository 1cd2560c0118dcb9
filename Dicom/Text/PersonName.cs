namespace Pacs.Dicom.Text;

/// <summary>
/// One value of a PN element (PS3.5 6.2, Table 6.2-1): up to three component groups separated by '=',
/// alphabetic, ideographic and phonetic, each of up to five components separated by '^'.
/// </summary>
public readonly record struct PersonName(string Alphabetic, string Ideographic, string Phonetic)
{
    public static PersonName Empty { get; } = new("", "", "");

    /// <summary>
    /// Splits one decoded PN value into its component groups. Trailing padding is removed; groups beyond the
    /// third are ignored (they are not allowed). Never throws.
    /// </summary>
    public static PersonName Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return Empty;
        }

        var text = value.AsSpan().TrimEnd(" \0");
        Span<Range> groups = stackalloc Range[4];
        var count = text.Split(groups, '=');
        return new PersonName(
            count > 0 ? text[groups[0]].ToString() : "",
            count > 1 ? text[groups[1]].ToString() : "",
            count > 2 ? text[groups[2]].ToString() : "");
    }

    public PersonNameComponents AlphabeticComponents => PersonNameComponents.Parse(Alphabetic);

    public PersonNameComponents IdeographicComponents => PersonNameComponents.Parse(Ideographic);

    public PersonNameComponents PhoneticComponents => PersonNameComponents.Parse(Phonetic);

    public bool IsEmpty => Alphabetic.Length == 0 && Ideographic.Length == 0 && Phonetic.Length == 0;

    /// <summary>The DICOM form, without trailing empty component groups ("Yamada^Tarou=山田^太郎").</summary>
    public override string ToString() =>
        Phonetic.Length > 0 ? $"{Alphabetic}={Ideographic}={Phonetic}"
        : Ideographic.Length > 0 ? $"{Alphabetic}={Ideographic}"
        : Alphabetic;
}

/// <summary>The five components of one PN component group (PS3.5 6.2.1.1).</summary>
public readonly record struct PersonNameComponents(string FamilyName, string GivenName, string MiddleName, string NamePrefix, string NameSuffix)
{
    /// <summary>Splits a component group on '^'. Components beyond the fifth are ignored; never throws.</summary>
    public static PersonNameComponents Parse(string? group)
    {
        if (string.IsNullOrEmpty(group))
        {
            return new("", "", "", "", "");
        }

        var text = group.AsSpan();
        Span<Range> parts = stackalloc Range[6];
        var count = text.Split(parts, '^');
        string Part(int i, Span<Range> p, ReadOnlySpan<char> t) => i < count ? t[p[i]].ToString() : "";
        return new(Part(0, parts, text), Part(1, parts, text), Part(2, parts, text), Part(3, parts, text), Part(4, parts, text));
    }

    /// <summary>The DICOM form, without trailing empty components ("Doe^John", not "Doe^John^^^").</summary>
    public override string ToString()
    {
        string[] all = [FamilyName, GivenName, MiddleName, NamePrefix, NameSuffix];
        var last = all.Length - 1;
        while (last > 0 && all[last].Length == 0)
        {
            last--;
        }

        return string.Join('^', all, 0, last + 1);
    }
}
