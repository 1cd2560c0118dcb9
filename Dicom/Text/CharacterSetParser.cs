using System.Text;

namespace Pacs.Dicom.Text;

/// <summary>Turns the value of (0008,0005) into a <see cref="DicomCharacterSet"/> (PS3.3 C.12.1.1.2).</summary>
internal static class CharacterSetParser
{
    private enum Kind : byte { SingleByte, MultiByteExtension, Utf8, Gb18030, Gbk }

    /// <summary>A defined term. G0/G1 are the sets it brings; Number is its ISO-IR registration, or 0.</summary>
    private sealed record Term(string Name, Kind Kind, int Number, CodeElement G0, CodeElement? G1, bool Extension);

    private static readonly Term[] DefinedTerms = BuildTerms();

    // Keyed by the term with everything but letters and digits removed, upper case: "ISOIR100", "ISO2022IR100".
    private static readonly Dictionary<string, Term> ByKey = DefinedTerms.ToDictionary(t => Key(t.Name), StringComparer.Ordinal);

    // Names met in the wild for the same sets (always with a warning).
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["UTF8"] = "ISO_IR 192",
        ["ISOIR192UTF8"] = "ISO_IR 192",
        ["ISO2022GBK"] = "GBK",           // spelling used in the text of CP 1234
        ["ISO202258"] = "ISO 2022 IR 58",  // idem
        ["GB2312"] = "ISO 2022 IR 58",
        ["ISO88591"] = "ISO_IR 100",
        ["LATIN1"] = "ISO_IR 100",
        ["ISO88592"] = "ISO_IR 101",
        ["ISO88593"] = "ISO_IR 109",
        ["ISO88594"] = "ISO_IR 110",
        ["ISO88595"] = "ISO_IR 144",
        ["ISO88596"] = "ISO_IR 127",
        ["ISO88597"] = "ISO_IR 126",
        ["ISO88598"] = "ISO_IR 138",
        ["ISO88599"] = "ISO_IR 148",
        ["ISO885915"] = "ISO_IR 203",
        ["TIS620"] = "ISO_IR 166",
    };

    public static DicomCharacterSet Parse(string rawValue)
    {
        // CS values: leading and trailing spaces are not significant (PS3.5 6.2), NUL padding is a common error.
        var terms = rawValue.Split('\\');
        for (var i = 0; i < terms.Length; i++)
        {
            terms[i] = terms[i].Trim(' ', '\0');
        }

        if (terms.Length == 1 && terms[0].Length == 0)
        {
            return DicomCharacterSet.Default;
        }

        var warnings = new List<string>();
        var isKnown = true;
        var resolved = new Term?[terms.Length];
        for (var i = 0; i < terms.Length; i++)
        {
            if (terms[i].Length == 0)
            {
                // An empty value 1 means the default repertoire (PS3.3 C.12.1.1.2); elsewhere it means nothing.
                if (i > 0)
                {
                    warnings.Add($"Specific Character Set value {i + 1} is empty; ignored.");
                }

                continue;
            }
            resolved[i] = Resolve(terms[i], warnings);
            if (resolved[i] is null)
            {
                isKnown = false;
            }
        }

        // ISO_IR 192, GB18030 and GBK cannot be combined with code extensions (PS3.5 6.1.2.5.4).
        var stateless = resolved.FirstOrDefault(t => t is { Kind: Kind.Utf8 or Kind.Gb18030 or Kind.Gbk });
        if (stateless is not null)
        {
            if (terms.Count(t => t.Length > 0) > 1)
            {
                warnings.Add($"'{stateless.Name}' does not allow code extensions; the other terms are ignored.");
            }

            var encoding = stateless.Kind switch
            {
                Kind.Utf8 => Encoding.UTF8,
                Kind.Gb18030 => CodePage(54936),
                _ => CodePage(936),
            };
            return DicomCharacterSet.Create(terms, warnings, isKnown, encoding);
        }

        if (resolved.All(t => t is null))
        {
            if (terms.Length == 1)
            {
                warnings.Clear();
                warnings.Add($"Unknown Specific Character Set '{terms[0]}'; values are decoded as ISO_IR 100 (Latin-1).");
                return DicomCharacterSet.Create(terms, warnings, isKnown, SingleByteCodec.Latin1Fallback);
            }
            if (terms[0].Length != 0)
            {
                warnings.Add("No term of Specific Character Set is known; values are decoded as ISO_IR 100 (Latin-1).");
                return DicomCharacterSet.Create(terms, warnings, isKnown, SingleByteCodec.Latin1Fallback);
            }
        }

        var codeExtensions = terms.Length > 1 || resolved[0] is { Extension: true } or { Kind: Kind.MultiByteExtension };
        if (!codeExtensions)
        {
            var only = resolved[0]!;
            return only.G1 is null
                ? DicomCharacterSet.Create(terms, warnings, isKnown, SingleByteCodec.Default)
                : DicomCharacterSet.Create(terms, warnings, isKnown, SingleByteCodec.For(only.G1));
        }

        // PS3.5 6.1.2.5.3: value 1 (or the default repertoire when it is empty) is active at the start of every value.
        var first = resolved[0];
        var initialG0 = CodeElement.Ascii;
        CodeElement? initialG1 = null;
        if (first is { Kind: Kind.SingleByte })
        {
            initialG0 = first.G0;
            initialG1 = first.G1;
        }
        else if (first is { Kind: Kind.MultiByteExtension })
        {
            warnings.Add($"'{first.Name}' cannot be value 1 of Specific Character Set; the default repertoire is the initial set.");
        }

        var declared = new List<CodeElement>();
        for (var i = 0; i < resolved.Length; i++)
        {
            if (resolved[i] is not { } t)
            {
                continue;
            }

            if (!t.Extension && terms.Length > 1)
            {
                warnings.Add($"'{terms[i]}' is not a defined term with code extensions; read as '{Iso2022Name(t)}'.");
            }

            if (!declared.Contains(t.G0))
            {
                declared.Add(t.G0);
            }

            if (t.G1 is not null && !declared.Contains(t.G1))
            {
                declared.Add(t.G1);
            }
        }
        return DicomCharacterSet.Create(terms, warnings, isKnown, new Iso2022Codec(initialG0, initialG1, [.. declared]));
    }

    private static Term? Resolve(string term, List<string> warnings)
    {
        var key = Key(term);
        if (ByKey.TryGetValue(key, out var t))
        {
            // "ISO 2022 IR 192" or "ISO_IR 87" name a set that exists only in the other form.
            if (t.Name != term)
            {
                warnings.Add($"'{term}' is not a defined term; read as '{t.Name}'.");
            }

            return t;
        }
        if (Aliases.TryGetValue(key, out var alias))
        {
            warnings.Add($"'{term}' is not a defined term; read as '{alias}'.");
            return ByKey[Key(alias)];
        }
        warnings.Add($"Unknown Specific Character Set term '{term}'.");
        return null;
    }

    private static string Iso2022Name(Term t) => t.Number == 0 ? t.Name : $"ISO 2022 IR {t.Number}";

    private static string Key(string term)
    {
        var sb = new StringBuilder(term.Length);
        foreach (var c in term)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                sb.Append(char.ToUpperInvariant(c));
            }
        }

        var key = sb.ToString();
        // Single-byte sets exist in both forms; the multi-byte ones only with "ISO 2022" and UTF-8 only without.
        return key switch
        {
            "ISOIR87" or "ISOIR159" or "ISOIR149" or "ISOIR58" => "ISO2022" + key[3..],
            "ISO2022IR192" => "ISOIR192",
            _ => key,
        };
    }

    private static Encoding CodePage(int codePage) =>
        // No global Encoding.RegisterProvider: ask the provider of System.Text.Encoding.CodePages directly.
        CodePagesEncodingProvider.Instance.GetEncoding(codePage, EncoderFallback.ReplacementFallback, DecoderFallback.ReplacementFallback)
            ?? throw new PlatformNotSupportedException($"Code page {codePage} is not available.");

    private static Term[] BuildTerms()
    {
        var singles = new (int Number, CodeElement? G1)[]
        {
            (6, null), (100, CodeElement.Latin1), (101, CodeElement.Latin2), (109, CodeElement.Latin3),
            (110, CodeElement.Latin4), (144, CodeElement.Cyrillic), (127, CodeElement.Arabic), (126, CodeElement.Greek),
            (138, CodeElement.Hebrew), (148, CodeElement.Latin5), (203, CodeElement.Latin9), (13, CodeElement.Katakana),
            (166, CodeElement.Thai),
        };
        var list = new List<Term>();
        foreach (var (n, g1) in singles)
        {
            // ISO_IR 13 / ISO 2022 IR 13: JIS X 0201 Romaji in G0 and Katakana in G1 (PS3.3 Table C.12-2/C.12-3).
            var g0 = n == 13 ? CodeElement.Romaji : CodeElement.Ascii;
            list.Add(new Term($"ISO_IR {n}", Kind.SingleByte, n, g0, g1, Extension: false));
            list.Add(new Term($"ISO 2022 IR {n}", Kind.SingleByte, n, g0, g1, Extension: true));
        }
        list.Add(new Term("ISO 2022 IR 87", Kind.MultiByteExtension, 87, CodeElement.JisX0208, null, true));
        list.Add(new Term("ISO 2022 IR 159", Kind.MultiByteExtension, 159, CodeElement.JisX0212, null, true));
        // KS X 1001 and GB 2312 are designated to G1; G0 stays ASCII (PS3.3 Table C.12-4).
        list.Add(new Term("ISO 2022 IR 149", Kind.MultiByteExtension, 149, CodeElement.Ascii, CodeElement.KsX1001, true));
        list.Add(new Term("ISO 2022 IR 58", Kind.MultiByteExtension, 58, CodeElement.Ascii, CodeElement.Gb2312, true));
        list.Add(new Term("ISO_IR 192", Kind.Utf8, 192, CodeElement.Ascii, null, false));
        list.Add(new Term("GB18030", Kind.Gb18030, 0, CodeElement.Ascii, null, false));
        list.Add(new Term("GBK", Kind.Gbk, 0, CodeElement.Ascii, null, false));
        return [.. list];
    }
}
