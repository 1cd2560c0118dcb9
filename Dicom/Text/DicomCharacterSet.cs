using System.Collections.Concurrent;
using System.Text;

namespace Pacs.Dicom.Text;

/// <summary>
/// Decodes and encodes string values per Specific Character Set (0008,0005): PS3.5 6.1 and Annexes H-K,
/// defined terms of PS3.3 C.12.1.1.2. Instances are immutable, thread-safe and cached per raw value.
/// Problems with the value of (0008,0005) are reported in <see cref="Warnings"/>, never thrown; bytes that
/// do not decode become U+FFFD and characters that cannot be encoded become '?'.
/// </summary>
public sealed class DicomCharacterSet
{
    private const int CacheCapacity = 256;
    private static readonly ConcurrentDictionary<string, DicomCharacterSet> Cache = new(StringComparer.Ordinal);

    private readonly CharsetMode _mode;
    private readonly SingleByteCodec? _singleByte;
    private readonly Encoding? _encoding;
    private readonly Iso2022Codec? _iso2022;

    private DicomCharacterSet(string[] terms, List<string> warnings, bool isKnown, SingleByteCodec codec)
        : this(terms, warnings, isKnown, CharsetMode.SingleByte) => _singleByte = codec;

    private DicomCharacterSet(string[] terms, List<string> warnings, bool isKnown, Encoding encoding)
        : this(terms, warnings, isKnown, CharsetMode.Encoding) => _encoding = encoding;

    private DicomCharacterSet(string[] terms, List<string> warnings, bool isKnown, Iso2022Codec codec)
        : this(terms, warnings, isKnown, CharsetMode.Iso2022) => _iso2022 = codec;

    private DicomCharacterSet(string[] terms, List<string> warnings, bool isKnown, CharsetMode mode)
    {
        Terms = terms;
        Warnings = warnings.Count == 0 ? [] : warnings.ToArray();
        IsKnown = isKnown;
        _mode = mode;
    }

    private enum CharsetMode : byte { SingleByte, Encoding, Iso2022 }

    /// <summary>
    /// ISO_IR 6, the default repertoire (PS3.5 6.1.2.1). For leniency, bytes above 0x7F are decoded as
    /// Latin-1 (a common mistake is to write Latin-1 without declaring it); encoding stays within ASCII.
    /// </summary>
    public static DicomCharacterSet Default { get; } = new([], [], true, SingleByteCodec.Default);

    /// <summary>The values of (0008,0005) as given, leading and trailing spaces removed, in order.</summary>
    public IReadOnlyList<string> Terms { get; }

    /// <summary>What was wrong with the value of (0008,0005) and how it was read instead; empty when conformant.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>False when some term was not recognised at all (it was ignored or replaced by Latin-1).</summary>
    public bool IsKnown { get; }

    /// <summary>True when the ISO 2022 code extension technique (escape sequences) is in use (PS3.5 6.1.2.5).</summary>
    public bool UsesCodeExtensions => _mode == CharsetMode.Iso2022;

    /// <summary>
    /// The character set for a raw value of (0008,0005) (backslash separated, padding allowed). Never throws:
    /// unknown terms fall back to Latin-1 decoding with a warning.
    /// </summary>
    public static DicomCharacterSet FromSpecificCharacterSet(string rawValue)
    {
        ArgumentNullException.ThrowIfNull(rawValue);
        if (Cache.TryGetValue(rawValue, out var cached))
        {
            return cached;
        }

        var created = CharacterSetParser.Parse(rawValue);
        // The cap bounds memory against hostile or garbage values; beyond it instances are simply not cached.
        if (Cache.Count < CacheCapacity)
        {
            Cache.TryAdd(rawValue, created);
        }

        return created;
    }

    /// <summary>
    /// Decodes a whole element value (all values, backslashes kept; padding kept) of a VR that uses the
    /// character set. For PN the component groups are decoded independently (PS3.5 6.2, Annex H-J examples).
    /// </summary>
    public string Decode(ReadOnlySpan<byte> bytes, DicomVR vr) => _mode switch
    {
        CharsetMode.SingleByte => _singleByte!.Decode(bytes),
        CharsetMode.Encoding => _encoding!.GetString(bytes),
        _ => _iso2022!.Decode(bytes, vr),
    };

    /// <summary>Encodes a whole element value (unpadded). Characters outside the character set become '?'.</summary>
    public byte[] Encode(string text, DicomVR vr) => Encode(text, vr, check: false, out _);

    /// <summary>Encodes like <see cref="Encode(string, DicomVR)"/> and tells whether every character was representable.</summary>
    public bool TryEncode(string text, DicomVR vr, out byte[] bytes)
    {
        bytes = Encode(text, vr, check: true, out var lossless);
        return lossless;
    }

    private byte[] Encode(string text, DicomVR vr, bool check, out bool lossless)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (_mode)
        {
            case CharsetMode.SingleByte:
                return _singleByte!.Encode(text, out lossless);
            case CharsetMode.Encoding:
                // These encodings replace what they cannot represent; a round trip tells whether anything was.
                var bytes = _encoding!.GetBytes(text);
                lossless = !check || _encoding.GetString(bytes) == text;
                return bytes;
            default:
                return _iso2022!.Encode(text, vr, out lossless);
        }
    }

    public override string ToString() => Terms.Count == 0 ? "ISO_IR 6" : string.Join('\\', Terms);

    internal static DicomCharacterSet Create(string[] terms, List<string> warnings, bool isKnown, SingleByteCodec codec) =>
        new(terms, warnings, isKnown, codec);

    internal static DicomCharacterSet Create(string[] terms, List<string> warnings, bool isKnown, Encoding encoding) =>
        new(terms, warnings, isKnown, encoding);

    internal static DicomCharacterSet Create(string[] terms, List<string> warnings, bool isKnown, Iso2022Codec codec) =>
        new(terms, warnings, isKnown, codec);
}

/// <summary>A character set without code extensions whose bytes each map to one char (PS3.5 6.1.2.4).</summary>
internal sealed class SingleByteCodec
{
    private readonly string _decode;   // 256 chars
    private readonly bool _latin1Identity;
    private readonly Dictionary<char, byte> _encode;

    private SingleByteCodec(string decode, bool latin1Identity, int encodableFrom, int encodableTo)
    {
        _decode = decode;
        _latin1Identity = latin1Identity;
        _encode = [];
        for (var b = encodableFrom; b <= encodableTo; b++)
        {
            var c = decode[b];
            if (c != '\uFFFD')
            {
                _encode.TryAdd(c, (byte)b);
            }
        }
    }

    /// <summary>The default repertoire: decodes like Latin-1 (leniency), encodes ASCII only.</summary>
    public static readonly SingleByteCodec Default = new(Latin1Chars(), true, 0x80, 0x7F);

    /// <summary>Unknown terms: Latin-1 both ways.</summary>
    public static readonly SingleByteCodec Latin1Fallback = new(Latin1Chars(), true, 0x80, 0xFF);

    /// <summary>G0 (ASCII or JIS X 0201 Romaji) in 0x00..0x7F, C1 controls as is, G1 in 0xA0..0xFF.</summary>
    public static SingleByteCodec For(CodeElement g1)
    {
        var table = string.Create(256, g1, static (span, set) =>
        {
            for (var b = 0; b < 0xA0; b++)
            {
                span[b] = (char)b;
            }

            for (var b = 0xA0; b < 0x100; b++)
            {
                span[b] = set.Decode(b & 0x7F);
            }
        });
        return new SingleByteCodec(table, ReferenceEquals(g1, CodeElement.Latin1), 0x80, 0xFF);
    }

    public string Decode(ReadOnlySpan<byte> bytes)
    {
        // Latin-1 is the identity and has a vectorised decoder; so is ASCII-only input for every table here.
        if (_latin1Identity || !bytes.ContainsAnyInRange((byte)0x80, (byte)0xFF))
        {
            return Encoding.Latin1.GetString(bytes);
        }

        return string.Create(bytes.Length, new TableInput(bytes, _decode), static (span, state) =>
        {
            var table = state.Table;
            var input = state.Bytes;
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = table[input[i]];
            }
        });
    }

    public byte[] Encode(string text, out bool lossless)
    {
        lossless = true;
        var bytes = new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x80)
            {
                bytes[i] = (byte)c;
            }
            else if (_encode.TryGetValue(c, out var b))
            {
                bytes[i] = b;
            }
            else
            {
                // A surrogate pair is one character: one '?' for it.
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    lossless = false;
                    return EncodeSlow(text);
                }
                bytes[i] = (byte)'?';
                lossless = false;
            }
        }
        return bytes;
    }

    private byte[] EncodeSlow(string text)
    {
        var list = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x80)
            {
                list.Add((byte)c);
            }
            else if (_encode.TryGetValue(c, out var b))
            {
                list.Add(b);
            }
            else
            {
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                }

                list.Add((byte)'?');
            }
        }
        return [.. list];
    }

    // string.Create accepts a ref struct state, so the input span reaches the callback without a copy.
    private readonly ref struct TableInput(ReadOnlySpan<byte> bytes, string table)
    {
        public ReadOnlySpan<byte> Bytes { get; } = bytes;
        public string Table { get; } = table;
    }

    private static string Latin1Chars() => string.Create(256, 0, static (span, _) =>
    {
        for (var b = 0; b < span.Length; b++)
        {
            span[b] = (char)b;
        }
    });
}
