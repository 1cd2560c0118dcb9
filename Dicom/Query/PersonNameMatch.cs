using System.Text;

namespace Pacs.Dicom.Query;

/// <summary>
/// Person name comparison (PS3.5 6.2.1: component groups separated by "=", components by "^"). The archive's
/// documented choice: names are matched case- and accent-insensitively on each component.
/// </summary>
internal static class PersonNameMatch
{
    /// <summary>
    /// Upper case with diacritics removed ("Müller" and "MULLER" fold alike). The build runs with invariant
    /// globalization, where Unicode normalization is unavailable, so Latin letters are folded from a table
    /// (Latin-1 Supplement and Latin Extended-A) and stray combining marks (U+0300-U+036F) are dropped.
    /// </summary>
    public static string Fold(string s)
    {
        var upper = s.ToUpperInvariant();
        var plain = true;
        foreach (var c in upper)
        {
            if (c >= 0xC0) { plain = false; break; }
        }
        if (plain)
        {
            return upper;
        }

        var sb = new StringBuilder(upper.Length);
        foreach (var c in upper)
        {
            if (c is >= '\u0300' and <= '\u036F')
            {
                continue;
            }

            if (LatinFolds.TryGetValue(c, out var folded))
            {
                sb.Append(folded);
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    private static readonly System.Collections.Frozen.FrozenDictionary<char, string> LatinFolds = BuildFolds();

    private static System.Collections.Frozen.FrozenDictionary<char, string> BuildFolds()
    {
        (string From, string To)[] groups =
        [
            ("ÀÁÂÃÄÅàáâãäåĀāĂăĄą", "A"), ("Ææ", "AE"), ("ÇçĆćĈĉĊċČč", "C"), ("ĎďĐđÐð", "D"),
            ("ÈÉÊËèéêëĒēĔĕĖėĘęĚě", "E"), ("ĜĝĞğĠġĢģ", "G"), ("ĤĥĦħ", "H"), ("ÌÍÎÏìíîïĨĩĪīĬĭĮįİı", "I"),
            ("Ĳĳ", "IJ"), ("Ĵĵ", "J"), ("Ķķĸ", "K"), ("ĹĺĻļĽľĿŀŁł", "L"), ("ÑñŃńŅņŇňŉŊŋ", "N"),
            ("ÒÓÔÕÖØòóôõöøŌōŎŏŐő", "O"), ("Œœ", "OE"), ("ŔŕŖŗŘř", "R"), ("ŚśŜŝŞşŠšſ", "S"), ("ß", "SS"),
            ("ŢţŤťŦŧ", "T"), ("Þþ", "TH"), ("ÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲų", "U"), ("Ŵŵ", "W"), ("ÝýÿŶŷŸ", "Y"),
            ("ŹźŻżŽž", "Z"),
        ];
        var map = new Dictionary<char, string>();
        foreach (var (from, to) in groups)
        {
            foreach (var c in from)
            {
                map[c] = to;
            }
        }

        return System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(map);
    }

    /// <summary>The words of a fuzzy query, folded: split on component, group and space delimiters; "*" dropped.</summary>
    public static IReadOnlyList<string> FuzzyWords(string query)
    {
        var words = new List<string>();
        foreach (var w in query.Split(['^', '=', ' ', ','], StringSplitOptions.RemoveEmptyEntries))
        {
            var t = w.Replace("*", "", StringComparison.Ordinal).Replace("?", "", StringComparison.Ordinal);
            if (t.Length > 0)
            {
                words.Add(Fold(t));
            }
        }
        return words;
    }

    /// <summary>PS3.18 8.3.4.2 as this archive implements it: every query word prefixes some word of the name.</summary>
    public static bool MatchesFuzzy(IReadOnlyList<string> words, string candidate)
    {
        var candidateWords = candidate.Split(['^', '=', ' '], StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < candidateWords.Length; i++)
        {
            candidateWords[i] = Fold(candidateWords[i]);
        }

        foreach (var w in words)
        {
            var found = false;
            foreach (var c in candidateWords)
            {
                if (c.StartsWith(w, StringComparison.Ordinal)) { found = true; break; }
            }
            if (!found)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Single value matching on PN: each non-empty query component equals the candidate's component (folded);
    /// empty query components and groups constrain nothing.
    /// </summary>
    public static bool MatchesSingle(string query, string candidate) =>
        MatchComponents(query, candidate, static (q, c) => string.Equals(Fold(q), Fold(c), StringComparison.Ordinal));

    /// <summary>
    /// Wild card matching on PN (implementation defined, PS3.4 C.2.2.2.4). With "^" or "=" in the pattern each
    /// component is matched on its own; without, the pattern is matched against the whole name (trailing empty
    /// components removed), so "*JOHN*" finds "DOE^JOHN" and "DOE*" finds "DOE^JOHN".
    /// </summary>
    public static bool MatchesWildcard(string pattern, string candidate)
    {
        if (pattern.IndexOfAny(['^', '=']) >= 0)
        {
            return MatchComponents(pattern, candidate, static (q, c) => Wildcard.IsMatch(Fold(q), Fold(c)));
        }

        var folded = Fold(pattern);
        var groups = candidate.Split('=');
        foreach (var g in groups)
        {
            if (Wildcard.IsMatch(folded, Fold(g.TrimEnd('^', ' '))))
            {
                return true;
            }
        }
        return false;
    }

    private static bool MatchComponents(string query, string candidate, Func<string, string, bool> match)
    {
        var qGroups = query.Split('=');
        var cGroups = candidate.Split('=');
        for (var g = 0; g < qGroups.Length; g++)
        {
            var qComps = qGroups[g].Split('^');
            var cComps = g < cGroups.Length ? cGroups[g].Split('^') : [];
            for (var i = 0; i < qComps.Length; i++)
            {
                var q = qComps[i].Trim(' ');
                if (q.Length == 0)
                {
                    continue;
                }

                var c = i < cComps.Length ? cComps[i].Trim(' ') : "";
                if (!match(q, c))
                {
                    return false;
                }
            }
        }
        return true;
    }
}

/// <summary>"*" and "?" matching (PS3.4 C.2.2.2.4), ordinal: callers fold first where case does not count.</summary>
internal static class Wildcard
{
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]) && pattern[p] != '*')
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
