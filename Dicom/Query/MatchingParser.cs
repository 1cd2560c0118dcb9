using System.Globalization;

namespace Pacs.Dicom.Query;

/// <summary>How a value is read into a <see cref="Matching"/>: what the request's protocol allows.</summary>
internal readonly record struct MatchingContext(
    bool Qido,
    bool Fuzzy,
    bool EmptyValueMatching,
    bool MultipleValueMatching,
    TimeSpan? Timezone);

/// <summary>Reads one key value into a <see cref="Matching"/> per its VR (PS3.4 C.2.2.2). No exceptions.</summary>
internal static class MatchingParser
{
    public static bool TryParse(string raw, DicomVR vr, MatchingContext ctx, out Matching matching, out string? error)
    {
        error = null;
        matching = UniversalMatching.Instance;
        if (raw.Length == 0)
        {
            return true; // PS3.4 C.2.2.2.3
        }

        // PS3.5 6.1.2.3: NUL is no character of any DICOM character repertoire (only UI pads with it, and that padding
        // is gone by now); such a value cannot match anything stored and is refused as a bad value, not passed on.
        if (raw.Contains('\0', StringComparison.Ordinal))
        {
            error = "the value contains a NUL character, which no DICOM value may contain (PS3.5 6.1.2.3)";
            return false;
        }

        // PS3.4 C.2.2.2.1: "" requests entities whose value is empty.
        if (raw == "\"\"" && ctx.EmptyValueMatching)
        {
            matching = EmptyValueMatching.Instance;
            return true;
        }

        if (vr == DicomVR.UI)
        {
            return TryParseUids(raw, ctx, out matching, out error);
        }

        if (vr == DicomVR.DA || vr == DicomVR.TM || vr == DicomVR.DT)
        {
            return TryParseDateTime(raw, vr, ctx, out matching, out error);
        }

        if (AllowsWildcard(vr))
        {
            return TryParseText(raw, vr, ctx, out matching, out error);
        }

        if (vr.IsString || vr.IsBinaryNumber)
        {
            // Numbers, AS: no wildcard (PS3.4 C.2.2.2.4); "*" alone is still universal.
            if (IsAllStars(raw))
            {
                return true;
            }

            var values = SplitValues(raw, ctx, splitComma: ctx.MultipleValueMatching);
            matching = values.Count == 1
                ? new SingleValueMatching(values[0])
                : new MultipleValueMatching(values.Select(v => (Matching)new SingleValueMatching(v)).ToArray());
            return true;
        }
        // OB, UN, ...: cannot be matched; kept as a return key only.
        return true;
    }

    /// <summary>The VRs for which Wild Card Matching is defined (PS3.4 C.2.2.2.4).</summary>
    public static bool AllowsWildcard(DicomVR vr) =>
        vr == DicomVR.AE || vr == DicomVR.CS || vr == DicomVR.LO || vr == DicomVR.LT || vr == DicomVR.PN
        || vr == DicomVR.SH || vr == DicomVR.ST || vr == DicomVR.UC || vr == DicomVR.UR || vr == DicomVR.UT;

    private static bool TryParseUids(string raw, MatchingContext ctx, out Matching matching, out string? error)
    {
        matching = UniversalMatching.Instance;
        error = null;
        if (IsAllStars(raw))
        {
            return true;
        }
        // PS3.4 C.2.2.2.2 backslash; PS3.18 8.3.4.1 uid-list-match is comma separated.
        var uids = SplitValues(raw, ctx, splitComma: ctx.Qido);
        foreach (var uid in uids)
        {
            if (!DicomUids.IsValid(uid))
            {
                error = $"'{uid}' is not a valid UID (wild cards are not allowed on UI, PS3.4 C.2.2.2.4)";
                return false;
            }
        }
        matching = uids.Count == 1 ? new SingleValueMatching(uids[0]) : new ListOfUidMatching(uids);
        return true;
    }

    private static bool TryParseDateTime(string raw, DicomVR vr, MatchingContext ctx, out Matching matching, out string? error)
    {
        matching = UniversalMatching.Instance;
        error = null;
        var value = raw.Trim();
        if (IsAllStars(value))
        {
            return true;
        }

        if (value.IndexOfAny(['*', '?']) >= 0)
        {
            error = $"wild cards are not allowed on {vr} (PS3.4 C.2.2.2.4)";
            return false;
        }
        if (value.Contains('\\') || (ctx.Qido && value.Contains(',')))
        {
            error = $"multiple values are not allowed on {vr}";
            return false;
        }
        var offset = ctx.Timezone ?? TimeSpan.Zero;
        if (vr == DicomVR.DA)
        {
            if (QueryDateTime.TryParseDate(value, out var d))
            {
                matching = new DateRangeMatching(d, d);
                return true;
            }
            if (QueryDateTime.TrySplitRange(value, v => QueryDateTime.TryParseDate(v, out _), out var a, out var b))
            {
                DateOnly? lo = a is null ? null : ParseDate(a);
                DateOnly? hi = b is null ? null : ParseDate(b);
                if (lo > hi)
                {
                    return Fail($"date range '{value}' ends before it starts", out error);
                }

                matching = new DateRangeMatching(lo, hi);
                return true;
            }
            return Fail($"'{value}' is not a date or date range (YYYYMMDD, PS3.5 6.2; A-B, -B, A-, PS3.4 C.2.2.2.5)", out error);
        }
        if (vr == DicomVR.TM)
        {
            if (QueryDateTime.TryParseTime(value, out var lo, out var hi))
            {
                matching = new TimeRangeMatching(lo, hi);
                return true;
            }
            if (QueryDateTime.TrySplitRange(value, v => QueryDateTime.TryParseTime(v, out _, out _), out var a, out var b))
            {
                TimeOnly? l = null, u = null;
                if (a is not null && QueryDateTime.TryParseTime(a, out var al, out _))
                {
                    l = al;
                }

                if (b is not null && QueryDateTime.TryParseTime(b, out _, out var bu))
                {
                    u = bu;
                }

                if (l > u)
                {
                    return Fail($"time range '{value}' ends before it starts", out error);
                }

                matching = new TimeRangeMatching(l, u);
                return true;
            }
            return Fail($"'{value}' is not a time or time range (HHMMSS.FFFFFF, PS3.5 6.2)", out error);
        }
        // DT
        if (QueryDateTime.TryParseDateTime(value, offset, out var dlo, out var dhi))
        {
            matching = new DateTimeRangeMatching(dlo, dhi);
            return true;
        }
        if (QueryDateTime.TrySplitRange(value, v => QueryDateTime.TryParseDateTime(v, offset, out _, out _), out var da, out var db))
        {
            DateTimeOffset? l = null, u = null;
            if (da is not null && QueryDateTime.TryParseDateTime(da, offset, out var x, out _))
            {
                l = x;
            }

            if (db is not null && QueryDateTime.TryParseDateTime(db, offset, out _, out var y))
            {
                u = y;
            }

            if (l > u)
            {
                return Fail($"date-time range '{value}' ends before it starts", out error);
            }

            matching = new DateTimeRangeMatching(l, u);
            return true;
        }
        return Fail($"'{value}' is not a date-time or date-time range (PS3.5 6.2 DT)", out error);
    }

    private static bool TryParseText(string raw, DicomVR vr, MatchingContext ctx, out Matching matching, out string? error)
    {
        matching = UniversalMatching.Instance;
        error = null;
        // LT, ST, UT, UR hold one value: backslash is text (PS3.5 6.2).
        // CS can hold neither comma nor backslash in a value, so a QIDO comma list on CS is always a value list.
        var values = vr.IsSingleValueText
            ? [raw]
            : SplitValues(raw, ctx, splitComma: ctx.MultipleValueMatching || (ctx.Qido && vr == DicomVR.CS));
        var alternatives = new List<Matching>(values.Count);
        foreach (var v in values)
        {
            var value = vr == DicomVR.PN || vr.IsSingleValueText ? v.TrimEnd(' ') : v.Trim(' ');
            if (IsAllStars(value) || value.Length == 0)
            {
                return true; // one universal alternative makes the whole key universal
            }

            if (vr == DicomVR.PN && ctx.Fuzzy)
            {
                var words = PersonNameMatch.FuzzyWords(value);
                if (words.Count == 0)
                {
                    return true;
                }

                alternatives.Add(new FuzzyPersonNameMatching(words));
            }
            else if (value.IndexOfAny(['*', '?']) >= 0)
            {
                alternatives.Add(new WildcardMatching(value));
            }
            else
            {
                alternatives.Add(new SingleValueMatching(value));
            }
        }
        matching = alternatives.Count == 1 ? alternatives[0] : new MultipleValueMatching(alternatives);
        return true;
    }

    private static List<string> SplitValues(string raw, MatchingContext ctx, bool splitComma)
    {
        var parts = splitComma ? raw.Split(['\\', ',']) : raw.Split('\\');
        var list = new List<string>(parts.Length);
        foreach (var p in parts)
        {
            var t = p.Trim(' ', '\0');
            if (t.Length > 0 && !list.Contains(t, StringComparer.Ordinal))
            {
                list.Add(t);
            }
        }
        if (list.Count == 0)
        {
            list.Add("");
        }

        return list;
    }

    private static DateOnly ParseDate(string s)
    {
        QueryDateTime.TryParseDate(s, out var d);
        return d;
    }

    private static bool IsAllStars(string s) => s.Length > 0 && s.AsSpan().Trim(' ').IndexOfAnyExcept('*') < 0;

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }

    internal static string FormatNumbers(in DicomElement e)
    {
        var span = e.Value.Span;
        var unit = e.VR.UnitSize;
        if (unit <= 0 || span.Length < unit)
        {
            return "";
        }

        var parts = new List<string>(span.Length / unit);
        for (var i = 0; i + unit <= span.Length; i += unit)
        {
            var s = span.Slice(i, unit);
            string text;
            if (e.VR == DicomVR.US)
            {
                text = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(s).ToString(CultureInfo.InvariantCulture);
            }
            else if (e.VR == DicomVR.SS)
            {
                text = System.Buffers.Binary.BinaryPrimitives.ReadInt16LittleEndian(s).ToString(CultureInfo.InvariantCulture);
            }
            else if (e.VR == DicomVR.UL)
            {
                text = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(s).ToString(CultureInfo.InvariantCulture);
            }
            else if (e.VR == DicomVR.SL)
            {
                text = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(s).ToString(CultureInfo.InvariantCulture);
            }
            else if (e.VR == DicomVR.FL)
            {
                text = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(s).ToString("R", CultureInfo.InvariantCulture);
            }
            else if (e.VR == DicomVR.FD)
            {
                text = System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(s).ToString("R", CultureInfo.InvariantCulture);
            }
            else if (e.VR == DicomVR.SV)
            {
                text = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(s).ToString(CultureInfo.InvariantCulture);
            }
            else if (e.VR == DicomVR.UV)
            {
                text = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(s).ToString(CultureInfo.InvariantCulture);
            }
            else if (e.VR == DicomVR.AT)
            {
                text = new DicomTag(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(s), System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(s[2..])).ToHexString();
            }
            else
            {
                return "";
            }

            parts.Add(text);
        }
        return string.Join('\\', parts);
    }
}
