using System.Globalization;

namespace Pacs.Dicom.Query;

/// <summary>
/// DA, TM and DT values as the query code needs them: each value read as the interval its precision denotes
/// (PS3.5 6.2: "2020" in DT is the whole year), for both key values and the values of candidates.
/// </summary>
internal static class QueryDateTime
{
    private static readonly TimeSpan LastTick = TimeSpan.FromTicks(TimeSpan.TicksPerMicrosecond);

    /// <summary>
    /// YYYYMMDD (PS3.5 6.2), and leniently the ACR-NEMA form YYYY.MM.DD (PS3.5 6.2 DA note, retired but still
    /// sent by old modalities).
    /// </summary>
    public static bool TryParseDate(ReadOnlySpan<char> s, out DateOnly date)
    {
        date = default;
        s = s.Trim(' ');
        Span<char> digits = stackalloc char[8];
        if (s.Length == 10 && s[4] == '.' && s[7] == '.')
        {
            s[..4].CopyTo(digits);
            s.Slice(5, 2).CopyTo(digits[4..]);
            s.Slice(8, 2).CopyTo(digits[6..]);
        }
        else if (s.Length == 8)
        {
            s.CopyTo(digits);
        }
        else
        {
            return false;
        }

        return DateOnly.TryParseExact(digits, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
    }

    /// <summary>
    /// HH[MM[SS[.F{1,6}]]] (PS3.5 6.2), and leniently HH:MM[:SS[.F]] (ACR-NEMA). Returns the first and the last
    /// microsecond the value denotes.
    /// </summary>
    public static bool TryParseTime(ReadOnlySpan<char> s, out TimeOnly lower, out TimeOnly upper)
    {
        lower = upper = default;
        s = s.Trim(' ');
        Span<char> buf = stackalloc char[s.Length];
        var n = 0;
        foreach (var c in s)
        {
            if (c != ':')
            {
                buf[n++] = c;
            }
        }

        var t = buf[..n];
        var dot = t.IndexOf('.');
        var main = dot >= 0 ? t[..dot] : t;
        var frac = dot >= 0 ? t[(dot + 1)..] : [];
        if (main.Length is not (2 or 4 or 6) || frac.Length > 6 || (dot >= 0 && (main.Length != 6 || frac.Length == 0)))
        {
            return false;
        }

        if (!AllDigits(main) || !AllDigits(frac))
        {
            return false;
        }

        var hh = Num(main[..2]);
        var mm = main.Length >= 4 ? Num(main.Slice(2, 2)) : 0;
        var ss = main.Length >= 6 ? Num(main.Slice(4, 2)) : 0;
        if (hh > 23 || mm > 59 || ss > 60)
        {
            return false;
        }

        if (ss == 60)
        {
            ss = 59; // leap second: PS3.5 allows 60
        }

        var micro = 0;
        if (frac.Length > 0)
        {
            micro = Num(frac) * Pow10(6 - frac.Length);
        }

        var start = new TimeSpan(hh, mm, ss) + TimeSpan.FromTicks(micro * TimeSpan.TicksPerMicrosecond);
        var span = main.Length switch
        {
            2 => TimeSpan.FromHours(1),
            4 => TimeSpan.FromMinutes(1),
            _ => frac.Length == 0 ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Pow10(6 - frac.Length) * TimeSpan.TicksPerMicrosecond),
        };
        lower = TimeOnly.FromTimeSpan(start);
        var end = start + span - LastTick;
        upper = TimeOnly.FromTimeSpan(end >= TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) - LastTick : end);
        return true;
    }

    /// <summary>
    /// YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&amp;ZZXX] (PS3.5 6.2). Without an offset, <paramref name="defaultOffset"/>
    /// applies. Returns the first and last microsecond the value denotes.
    /// </summary>
    public static bool TryParseDateTime(ReadOnlySpan<char> s, TimeSpan defaultOffset, out DateTimeOffset lower, out DateTimeOffset upper)
    {
        lower = upper = default;
        s = s.Trim(' ');
        var offset = defaultOffset;
        if (s.Length > 5 && s[^5] is '+' or '-')
        {
            if (!TryParseOffset(s[^5..], out offset))
            {
                return false;
            }

            s = s[..^5];
        }
        var dot = s.IndexOf('.');
        var main = dot >= 0 ? s[..dot] : s;
        var frac = dot >= 0 ? s[(dot + 1)..] : [];
        if (main.Length is not (4 or 6 or 8 or 10 or 12 or 14) || frac.Length > 6 || (dot >= 0 && (main.Length != 14 || frac.Length == 0)))
        {
            return false;
        }

        if (!AllDigits(main) || !AllDigits(frac))
        {
            return false;
        }

        var year = Num(main[..4]);
        var month = main.Length >= 6 ? Num(main.Slice(4, 2)) : 1;
        var day = main.Length >= 8 ? Num(main.Slice(6, 2)) : 1;
        var hh = main.Length >= 10 ? Num(main.Slice(8, 2)) : 0;
        var mm = main.Length >= 12 ? Num(main.Slice(10, 2)) : 0;
        var ss = main.Length >= 14 ? Num(main.Slice(12, 2)) : 0;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hh > 23 || mm > 59 || ss > 60)
        {
            return false;
        }

        if (ss == 60)
        {
            ss = 59;
        }

        var micro = frac.Length > 0 ? Num(frac) * Pow10(6 - frac.Length) : 0;
        var start = new DateTime(year, month, day, hh, mm, ss, DateTimeKind.Unspecified).AddTicks(micro * TimeSpan.TicksPerMicrosecond);
        var end = main.Length switch
        {
            4 => start.AddYears(1),
            6 => start.AddMonths(1),
            8 => start.AddDays(1),
            10 => start.AddHours(1),
            12 => start.AddMinutes(1),
            _ => frac.Length == 0 ? start.AddSeconds(1) : start.AddTicks(Pow10(6 - frac.Length) * TimeSpan.TicksPerMicrosecond),
        };
        lower = new DateTimeOffset(start, offset);
        upper = new DateTimeOffset(end - LastTick, offset);
        return true;
    }

    /// <summary>&amp;ZZXX: "+0100", "-0500" (PS3.5 6.2 DT; Timezone Offset From UTC (0008,0201)).</summary>
    public static bool TryParseOffset(ReadOnlySpan<char> s, out TimeSpan offset)
    {
        offset = default;
        s = s.Trim(' ');
        if (s.Length != 5 || s[0] is not ('+' or '-') || !AllDigits(s[1..]))
        {
            return false;
        }

        var hh = Num(s.Slice(1, 2));
        var mm = Num(s.Slice(3, 2));
        if (hh > 14 || mm > 59)
        {
            return false;
        }

        offset = new TimeSpan(hh, mm, 0);
        if (s[0] == '-')
        {
            offset = -offset;
        }

        return true;
    }

    /// <summary>
    /// Splits a range "A-B", "-B", "A-" (PS3.4 C.2.2.2.5). For DT the hyphen may also start a UTC offset, so every
    /// hyphen is tried and the first split where both sides are valid wins; a whole value that is valid on its own
    /// is never a range.
    /// </summary>
    public static bool TrySplitRange(string value, Func<string, bool> isValid, out string? lower, out string? upper)
    {
        lower = upper = null;
        for (var i = value.IndexOf('-'); i >= 0; i = value.IndexOf('-', i + 1))
        {
            var a = value[..i].Trim();
            var b = value[(i + 1)..].Trim();
            if (a.Length == 0 && b.Length == 0)
            {
                return false;
            }

            if ((a.Length == 0 || isValid(a)) && (b.Length == 0 || isValid(b)))
            {
                lower = a.Length == 0 ? null : a;
                upper = b.Length == 0 ? null : b;
                return true;
            }
        }
        return false;
    }

    private static bool AllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static int Num(ReadOnlySpan<char> s) => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);

    private static int Pow10(int n)
    {
        var r = 1;
        for (var i = 0; i < n; i++)
        {
            r *= 10;
        }

        return r;
    }
}
