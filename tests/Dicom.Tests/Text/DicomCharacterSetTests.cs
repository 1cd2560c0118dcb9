using System.Text;
using Pacs.Dicom.Text;

namespace Pacs.Dicom.Tests.Text;

public sealed class DicomCharacterSetTests
{
    private static readonly byte[] Esc = [0x1B];

    private static DicomCharacterSet Cs(string raw) => DicomCharacterSet.FromSpecificCharacterSet(raw);

    private static byte[] B(params object[] parts)
    {
        // Builds bytes from strings (ASCII, "\e" for ESC) and byte values.
        var list = new List<byte>();
        foreach (var p in parts)
        {
            if (p is string s)
            {
                list.AddRange(Encoding.ASCII.GetBytes(s.Replace("\\e", "\u001B", StringComparison.Ordinal)));
            }
            else
            {
                list.Add(Convert.ToByte(p, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return [.. list];
    }

    // Known byte -> character pairs from the ISO 8859 / JIS X 0201 / TIS 620 code charts.
    [Theory]
    [InlineData("ISO_IR 100", 0xE9, '\u00E9')]   // é
    [InlineData("ISO_IR 101", 0xB1, '\u0105')]   // ą
    [InlineData("ISO_IR 101", 0xA3, '\u0141')]   // Ł
    [InlineData("ISO_IR 109", 0xA1, '\u0126')]   // Ħ
    [InlineData("ISO_IR 110", 0xA2, '\u0138')]   // ĸ
    [InlineData("ISO_IR 144", 0xB0, '\u0410')]   // А
    [InlineData("ISO_IR 127", 0xC7, '\u0627')]   // ا
    [InlineData("ISO_IR 126", 0xC1, '\u0391')]   // Α
    [InlineData("ISO_IR 138", 0xE0, '\u05D0')]   // א
    [InlineData("ISO_IR 148", 0xD0, '\u011E')]   // Ğ
    [InlineData("ISO_IR 148", 0xFD, '\u0131')]   // ı
    [InlineData("ISO_IR 203", 0xA4, '\u20AC')]   // €
    [InlineData("ISO_IR 13", 0xB1, '\uFF71')]    // ｱ
    [InlineData("ISO_IR 166", 0xA1, '\u0E01')]   // ก
    [InlineData("ISO_IR 6", 0x41, 'A')]
    public void DecodeEncode_SingleByteSet_KnownPair(string term, int b, char expected)
    {
        var cs = Cs(term);
        Assert.Empty(cs.Warnings);
        Assert.True(cs.IsKnown);
        Assert.False(cs.UsesCodeExtensions);
        Assert.Equal($"A{expected}^", cs.Decode([(byte)'A', (byte)b, (byte)'^'], DicomVR.PN));
        Assert.Equal(new byte[] { (byte)'A', (byte)b, (byte)'^' }, cs.Encode($"A{expected}^", DicomVR.PN));
    }

    [Theory]
    [InlineData("ISO_IR 100")]
    [InlineData("ISO_IR 101")]
    [InlineData("ISO_IR 109")]
    [InlineData("ISO_IR 110")]
    [InlineData("ISO_IR 144")]
    [InlineData("ISO_IR 127")]
    [InlineData("ISO_IR 126")]
    [InlineData("ISO_IR 138")]
    [InlineData("ISO_IR 148")]
    [InlineData("ISO_IR 203")]
    [InlineData("ISO_IR 13")]
    [InlineData("ISO_IR 166")]
    public void DecodeEncode_SingleByteSet_EveryAssignedByteRoundTrips(string term)
    {
        var cs = Cs(term);
        var all = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        var text = cs.Decode(all, DicomVR.LT);
        Assert.Equal(256, text.Length);
        for (var b = 0; b < 0x80; b++)
        {
            Assert.Equal((char)b, text[b]);   // G0 is ASCII (Romaji read as ASCII)
        }

        var assigned = all.Where(b => text[b] != '\uFFFD').ToArray();
        Assert.True(assigned.Length > 128 + 40, $"{term}: only {assigned.Length} assigned bytes");
        var again = cs.Encode(cs.Decode(assigned, DicomVR.LT), DicomVR.LT);
        Assert.Equal(assigned, again);
        Assert.Equal(text.Distinct().Count(c => c != '\uFFFD'), assigned.Length);   // no two bytes share a char
    }

    [Theory]
    [InlineData("ISO 2022 IR 100", "-A", 0xE9, '\u00E9')]
    [InlineData("ISO 2022 IR 101", "-B", 0xB1, '\u0105')]
    [InlineData("ISO 2022 IR 109", "-C", 0xA1, '\u0126')]
    [InlineData("ISO 2022 IR 110", "-D", 0xA2, '\u0138')]
    [InlineData("ISO 2022 IR 144", "-L", 0xB0, '\u0410')]
    [InlineData("ISO 2022 IR 127", "-G", 0xC7, '\u0627')]
    [InlineData("ISO 2022 IR 126", "-F", 0xC1, '\u0391')]
    [InlineData("ISO 2022 IR 138", "-H", 0xE0, '\u05D0')]
    [InlineData("ISO 2022 IR 148", "-M", 0xD0, '\u011E')]
    [InlineData("ISO 2022 IR 203", "-b", 0xA4, '\u20AC')]
    [InlineData("ISO 2022 IR 13", ")I", 0xB1, '\uFF71')]
    [InlineData("ISO 2022 IR 166", "-T", 0xA1, '\u0E01')]
    public void Decode_Iso2022SingleByteSetDesignatedByEscape_SwitchesG1(string term, string escape, int b, char expected)
    {
        // Value 1 is Latin-1; the second set is designated to G1 by its escape sequence (PS3.3 Table C.12-3).
        var cs = Cs($"ISO 2022 IR 100\\{term}");
        Assert.True(cs.UsesCodeExtensions);
        Assert.True(cs.IsKnown);
        var bytes = B(0xE9, "\\e" + escape, b);
        Assert.Equal($"\u00E9{expected}", cs.Decode(bytes, DicomVR.LO));
    }

    [Fact]
    public void Encode_Iso2022Latin1ThenGreek_SwitchesOnlyWhenNeededAndReturnsAtDelimiter()
    {
        var cs = Cs("ISO 2022 IR 100\\ISO 2022 IR 126");
        var bytes = cs.Encode("Jé\u0391\u0392\\é", DicomVR.LO);
        // é in the initial Latin-1 G1; Greek after ESC - F; ESC - A again before the value delimiter.
        Assert.Equal(B("J", 0xE9, "\\e-F", 0xC1, 0xC2, "\\e-A", "\\", 0xE9), bytes);
        Assert.Equal("Jé\u0391\u0392\\é", cs.Decode(bytes, DicomVR.LO));
    }

    [Fact]
    public void DecodeEncode_Utf8_RoundTripsAnyText()
    {
        var cs = Cs("ISO_IR 192");
        const string text = "Wang^XiaoDong=王^小東=\U0001F600";
        Assert.Equal(Encoding.UTF8.GetBytes(text), cs.Encode(text, DicomVR.PN));
        Assert.Equal(text, cs.Decode(Encoding.UTF8.GetBytes(text), DicomVR.PN));
    }

    [Fact]
    public void DecodeEncode_Gb18030_KnownBytesIncludingFourByteForm()
    {
        var cs = Cs("GB18030");
        // 王 = CD F5, 小 = D0 A1, 东 = B6 AB (PS3.5 Annex K example); U+1F600 uses the four-byte form 94 39 FC 36.
        var bytes = B("Wang^XiaoDong=", 0xCD, 0xF5, "^", 0xD0, 0xA1, 0xB6, 0xAB, "=", 0x94, 0x39, 0xFC, 0x36);
        Assert.Equal("Wang^XiaoDong=王^小东=\U0001F600", cs.Decode(bytes, DicomVR.PN));
        Assert.Equal(bytes, cs.Encode("Wang^XiaoDong=王^小东=\U0001F600", DicomVR.PN));
    }

    [Fact]
    public void DecodeEncode_Gbk_KnownBytes()
    {
        var cs = Cs("GBK");
        var bytes = B(0xCD, 0xF5, "^", 0xD0, 0xA1, 0xB6, 0xAB);
        Assert.Equal("王^小东", cs.Decode(bytes, DicomVR.PN));
        Assert.Equal(bytes, cs.Encode("王^小东", DicomVR.PN));
    }

    [Fact]
    public void Decode_Gb18030TrailByteIsBackslash_NotTakenAsDelimiter()
    {
        // GB18030/GBK trail bytes range over 0x40..0xFE and include 0x5C; only a whole-value decode gets this right.
        var cs = Cs("GB18030");
        var text = cs.Decode(B(0x81, 0x5C), DicomVR.LO);
        Assert.Equal(1, text.Length);
        Assert.NotEqual('\\', text[0]);
    }

    [Fact]
    public void DecodeEncode_Iso2022Gb2312_DesignatesG1BeforeEachComponent()
    {
        // PS3.5 Annex K style: GB 2312 in G1 via ESC $ ) A; G1 is reset at '^' and '=' so it is designated again.
        var cs = Cs("\\ISO 2022 IR 58");
        var bytes = B("Zhang^XiaoDong=", "\\e$)A", 0xD5, 0xC5, "^", "\\e$)A", 0xD0, 0xA1, 0xB6, 0xAB, "=");
        Assert.Equal("Zhang^XiaoDong=张^小东=", cs.Decode(bytes, DicomVR.PN));
        Assert.Equal(bytes, cs.Encode("Zhang^XiaoDong=张^小东=", DicomVR.PN));
    }

    [Fact]
    public void DecodeEncode_Iso2022JisX0212_UsesFourByteEscape()
    {
        // 丂 (U+4E02) is 0x3021 in JIS X 0212, designated to G0 with ESC $ ( D (PS3.3 Table C.12-4).
        var cs = Cs("\\ISO 2022 IR 87\\ISO 2022 IR 159");
        var bytes = B("\\e$(D", 0x30, 0x21, "\\e(B");
        Assert.Equal("丂", cs.Decode(bytes, DicomVR.LO));
        Assert.Equal(bytes, cs.Encode("丂", DicomVR.LO));
        // A character in both JIS sets comes from the first declared one (JIS X 0208).
        Assert.Equal(B("\\e$B", 0x3B, 0x33, "\\e(B"), cs.Encode("山", DicomVR.LO));
    }

    [Fact]
    public void Decode_JisX0208WithCaretInsidePair_NotTakenAsDelimiter()
    {
        // In JIS X 0208 mode 0x5E is half of a character code; delimiters only count in a single-byte G0.
        var cs = Cs("\\ISO 2022 IR 87");
        var bytes = B("\\e$B", 0x24, 0x5E, "\\e(B^A");   // ま = 0x245E
        Assert.Equal("ま^A", cs.Decode(bytes, DicomVR.PN));
    }

    [Fact]
    public void Decode_Iso2022InSingleValuedText_BackslashDoesNotReset()
    {
        // LT/ST/UT hold one value, so 0x5C is an ordinary character there (PS3.5 6.2); G1 stays designated.
        var cs = Cs("ISO 2022 IR 6\\ISO 2022 IR 144");
        var bytes = B("\\e-L", 0xB0, "\\", 0xB1);
        Assert.Equal("А\\Б", cs.Decode(bytes, DicomVR.LT));
    }

    [Fact]
    public void Decode_Iso2022ControlCharacters_ResetToInitialSets()
    {
        // Before CR, LF, FF and TAB the initial sets are active (PS3.5 6.1.2.5.3): a writer need not switch back,
        // so a line that follows in G0 ASCII must read as ASCII.
        var cs = Cs("\\ISO 2022 IR 87");
        var bytes = B("\\e$B", 0x3B, 0x33, "\r\nAB\t", "\\e$B", 0x45, 0x44, "\fC");
        Assert.Equal("山\r\nAB\t田\fC", cs.Decode(bytes, DicomVR.LT));
    }

    [Fact]
    public void Encode_Iso2022ControlCharacters_SwitchBackBeforeThem()
    {
        var cs = Cs("\\ISO 2022 IR 87");
        Assert.Equal(B("\\e$B", 0x3B, 0x33, "\\e(B", "\r\n", "\\e$B", 0x45, 0x44, "\\e(B"), cs.Encode("山\r\n田", DicomVR.LT));
    }

    [Fact]
    public void Decode_KoreanG1NotRedesignatedAfterDelimiter_UsesDeclaredG1()
    {
        // Some writers designate KS X 1001 once per value; after '^' no G1 is in force, the declared one is used.
        var cs = Cs("\\ISO 2022 IR 149");
        var bytes = B("\\e$)C", 0xB1, 0xE8, "^", 0xC8, 0xF1, 0xC1, 0xDF);
        Assert.Equal("김^희중", cs.Decode(bytes, DicomVR.PN));
    }

    [Fact]
    public void DecodeEncode_KsX1001HangulFiller_MapsToU3164()
    {
        // 0x2454 is HANGUL FILLER in KS X 1001; EUC-KR decoders that treat it as a composition prefix drop it.
        var cs = Cs("\\ISO 2022 IR 149");
        var bytes = B("\\e$)C", 0xA4, 0xD4);
        Assert.Equal("\u3164", cs.Decode(bytes, DicomVR.LO));
        Assert.Equal(bytes, cs.Encode("\u3164", DicomVR.LO));
    }

    [Fact]
    public void Decode_KoreanWithoutAnyEscape_UsesDeclaredG1()
    {
        var cs = Cs("\\ISO 2022 IR 149");
        Assert.Equal("김희중", cs.Decode(B(0xB1, 0xE8, 0xC8, 0xF1, 0xC1, 0xDF), DicomVR.PN));
    }

    [Fact]
    public void EncodeDecode_Iso2022MultiValuedPn_SwitchesBackBeforeEachValue()
    {
        var cs = Cs("\\ISO 2022 IR 87");
        var encoded = cs.Encode("やま\\Yamada", DicomVR.PN);
        Assert.Equal(B("\\e$B", 0x24, 0x64, 0x24, 0x5E, "\\e(B", "\\", "Yamada"), encoded);
        Assert.Equal("やま\\Yamada", cs.Decode(encoded, DicomVR.PN));
    }

    [Fact]
    public void Decode_BadBytes_NeverThrows()
    {
        var sets = new[]
        {
            "", "ISO_IR 100", "ISO_IR 192", "GB18030", "GBK", "\\ISO 2022 IR 87", "\\ISO 2022 IR 149",
            "ISO 2022 IR 13\\ISO 2022 IR 87\\ISO 2022 IR 159", "\\ISO 2022 IR 58", "ISO_IR 166", "nonsense",
        };
        const string Tails = "\u001B$()-BJI";
        var random = new Random(1234);
        var bytes = new byte[257];
        foreach (var raw in sets)
        {
            var cs = Cs(raw);
            for (var round = 0; round < 200; round++)
            {
                random.NextBytes(bytes);
                // Bias toward escapes and their tails to reach the ISO 2022 paths.
                for (var k = 0; k < 10; k++)
                {
                    bytes[random.Next(bytes.Length)] = (byte)Tails[random.Next(Tails.Length)];
                }

                var len = random.Next(bytes.Length);
                foreach (var vr in new[] { DicomVR.PN, DicomVR.LO, DicomVR.LT })
                {
                    var text = cs.Decode(bytes.AsSpan(0, len), vr);
                    Assert.True(text.Length <= len);
                }
            }
        }
    }

    [Theory]
    [InlineData("\\e(Z")]          // not a designation DICOM knows
    [InlineData("\\e$")]           // truncated
    [InlineData("\\e")]            // ESC at the end
    public void Decode_UnknownOrTruncatedEscape_ReplacementCharacter(string escape)
    {
        var cs = Cs("\\ISO 2022 IR 87");
        var text = cs.Decode(B("A", escape), DicomVR.LO);
        Assert.StartsWith("A\uFFFD", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_TruncatedDoubleByteCharacter_ReplacementCharacter()
    {
        Assert.Equal("\uFFFD", Cs("\\ISO 2022 IR 149").Decode(B("\\e$)C", 0xB1), DicomVR.LO));
        Assert.Equal("\uFFFD", Cs("\\ISO 2022 IR 87").Decode(B("\\e$B", 0x3B), DicomVR.LO));
    }

    [Fact]
    public void Encode_UnrepresentableCharacter_QuestionMarkAndTryEncodeFalse()
    {
        Assert.False(Cs("ISO_IR 100").TryEncode("A\u0391", DicomVR.LO, out var latin));
        Assert.Equal("A?"u8.ToArray(), latin);
        Assert.False(DicomCharacterSet.Default.TryEncode("J\u00E9r\U0001F600", DicomVR.LO, out var ascii));
        Assert.Equal("J?r?"u8.ToArray(), ascii);
        Assert.False(Cs("\\ISO 2022 IR 87").TryEncode("山\u0E01", DicomVR.LO, out var jis));
        Assert.Equal(B("\\e$B", 0x3B, 0x33, "\\e(B?"), jis);
        Assert.False(Cs("GB18030").TryEncode("\uD800", DicomVR.LO, out _));
        Assert.True(Cs("ISO_IR 100").TryEncode("Jérôme", DicomVR.LO, out _));
    }

    [Fact]
    public void Decode_DefaultRepertoireHighBytes_ReadAsLatin1()
    {
        Assert.Equal("Jérôme", DicomCharacterSet.Default.Decode(B("J", 0xE9, "r", 0xF4, "me"), DicomVR.PN));
        Assert.Same(DicomCharacterSet.Default, Cs(""));
        Assert.Same(DicomCharacterSet.Default, Cs("  "));
    }

    [Theory]
    [InlineData("ISO_IR 100 ")]   // CS padding: not significant (PS3.5 6.2)
    [InlineData(" ISO_IR 100")]
    [InlineData("ISO_IR 100\0")]
    public void FromSpecificCharacterSet_Padding_AcceptedWithoutWarning(string raw)
    {
        var cs = Cs(raw);
        Assert.Empty(cs.Warnings);
        Assert.Equal(["ISO_IR 100"], cs.Terms);
        Assert.Equal("é", cs.Decode([0xE9], DicomVR.LO));
    }

    [Theory]
    [InlineData("ISO-IR 100", "é", 0xE9)]
    [InlineData("iso_ir 100", "é", 0xE9)]
    [InlineData("ISO IR 100", "é", 0xE9)]
    [InlineData("ISO_IR100", "é", 0xE9)]
    [InlineData("ISO-8859-1", "é", 0xE9)]
    [InlineData("ISO-IR 144", "А", 0xB0)]
    [InlineData("ISO 2022 IR 192", "é", 0)]
    [InlineData("iso_ir 192", "é", 0)]
    [InlineData("UTF-8", "é", 0)]
    public void FromSpecificCharacterSet_MisspelledTerm_AcceptedWithWarning(string raw, string text, int singleByte)
    {
        var cs = Cs(raw);
        Assert.Single(cs.Warnings);
        Assert.Contains(raw, cs.Warnings[0], StringComparison.Ordinal);
        Assert.True(cs.IsKnown);
        var bytes = singleByte == 0 ? Encoding.UTF8.GetBytes(text) : [(byte)singleByte];
        Assert.Equal(text, cs.Decode(bytes, DicomVR.LO));
    }

    [Fact]
    public void FromSpecificCharacterSet_UnknownTerm_Latin1WithWarning()
    {
        var cs = Cs("ISO_IR 999");
        Assert.False(cs.IsKnown);
        Assert.Single(cs.Warnings);
        Assert.Equal("Jérôme", cs.Decode(B("J", 0xE9, "r", 0xF4, "me"), DicomVR.PN));
        Assert.Equal(B("J", 0xE9, "r", 0xF4, "me"), cs.Encode("Jérôme", DicomVR.PN));
    }

    [Fact]
    public void FromSpecificCharacterSet_UnknownSecondTerm_IgnoredWithWarning()
    {
        var cs = Cs("\\ISO 2022 IR 87\\ISO 2022 IR 999");
        Assert.False(cs.IsKnown);
        Assert.Single(cs.Warnings);
        Assert.Equal("山", cs.Decode(B("\\e$B", 0x3B, 0x33, "\\e(B"), DicomVR.LO));
    }

    [Fact]
    public void FromSpecificCharacterSet_Utf8WithOtherTerms_Utf8AloneWithWarning()
    {
        // ISO_IR 192 does not allow code extensions (PS3.5 6.1.2.5.4).
        var cs = Cs("ISO_IR 192\\ISO 2022 IR 87");
        Assert.False(cs.UsesCodeExtensions);
        Assert.Single(cs.Warnings);
        Assert.Equal("王", cs.Decode(Encoding.UTF8.GetBytes("王"), DicomVR.LO));
    }

    [Fact]
    public void FromSpecificCharacterSet_NonExtensionTermsInMultiValue_ReadAsIso2022WithWarning()
    {
        var cs = Cs("ISO_IR 100\\ISO_IR 144");
        Assert.True(cs.UsesCodeExtensions);
        Assert.Equal(2, cs.Warnings.Count);
        Assert.Equal("éА", cs.Decode(B(0xE9, "\\e-L", 0xB0), DicomVR.LO));
    }

    [Fact]
    public void FromSpecificCharacterSet_MultiByteSetAsValue1_DefaultInitialWithWarning()
    {
        var cs = Cs("ISO 2022 IR 87");
        Assert.True(cs.UsesCodeExtensions);
        Assert.Single(cs.Warnings);
        Assert.Equal("A山", cs.Decode(B("A\\e$B", 0x3B, 0x33), DicomVR.LO));
    }

    [Fact]
    public void FromSpecificCharacterSet_EmptyFirstValue_DefaultRepertoireNoWarning()
    {
        var cs = Cs("\\ISO 2022 IR 87");
        Assert.Empty(cs.Warnings);
        Assert.True(cs.IsKnown);
        Assert.Equal(["", "ISO 2022 IR 87"], cs.Terms);
    }

    [Fact]
    public void FromSpecificCharacterSet_SameRawValue_SameCachedInstance()
    {
        Assert.Same(Cs("ISO_IR 144"), Cs("ISO_IR 144"));
        Assert.Same(Cs("ISO 2022 IR 13\\ISO 2022 IR 87"), Cs("ISO 2022 IR 13\\ISO 2022 IR 87"));
    }

    [Fact]
    public void FromSpecificCharacterSet_ManyDistinctGarbageValues_StillWorksBeyondCacheCap()
    {
        for (var i = 0; i < 1000; i++)
        {
            var cs = Cs($"GARBAGE {i}");
            Assert.False(cs.IsKnown);
        }
        Assert.Equal("é", Cs("GARBAGE 999").Decode([0xE9], DicomVR.LO));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ISO_IR 100")]
    [InlineData("ISO_IR 192")]
    public void Decode_CommonSets_AllocatesOnlyTheResult(string raw)
    {
        var cs = Cs(raw);
        var bytes = raw == "ISO_IR 192" ? Encoding.UTF8.GetBytes(new string('é', 100) + "^" + new string('x', 100))
            : Enumerable.Range(0, 300).Select(i => (byte)(0x41 + i % 26 + (raw.Length > 0 && i % 3 == 0 ? 0x80 : 0))).ToArray();
        var expectedLength = cs.Decode(bytes, DicomVR.PN).Length;
        cs.Decode(bytes, DicomVR.PN);   // warm-up
        var before = GC.GetAllocatedBytesForCurrentThread();
        var text = cs.Decode(bytes, DicomVR.PN);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(expectedLength, text.Length);
        // A string of n chars is 20-odd bytes of header plus 2n, rounded to 8.
        Assert.InRange(allocated, 2 * text.Length, 2 * text.Length + 40);
    }

    [Theory]
    [InlineData("ISO_IR 100", "Buc^Jérôme")]
    [InlineData("ISO_IR 101", "Dvořák^Łukasz")]
    [InlineData("ISO_IR 109", "Ħal Għargħur")]
    [InlineData("ISO_IR 110", "Ķēniņš")]
    [InlineData("ISO_IR 144", "Люкceмбypг")]
    [InlineData("ISO_IR 127", "قباني^لنزار")]
    [InlineData("ISO_IR 126", "Διονυσιος")]
    [InlineData("ISO_IR 138", "שרון^דבורה")]
    [InlineData("ISO_IR 148", "Yıldız^Ağaoğlu")]
    [InlineData("ISO_IR 203", "Œuvre^€")]
    [InlineData("ISO_IR 13", "ﾔﾏﾀﾞ^ﾀﾛｳ")]
    [InlineData("ISO_IR 166", "สมชาย^ใจดี")]
    [InlineData("ISO 2022 IR 13\\ISO 2022 IR 87", "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう")]
    [InlineData("\\ISO 2022 IR 149", "Hong^Gildong=洪^吉洞=홍^길동")]
    [InlineData("\\ISO 2022 IR 58", "Zhang^XiaoDong=张^小东=")]
    [InlineData("ISO 2022 IR 100\\ISO 2022 IR 126\\ISO 2022 IR 144", "Jérôme\\Διονυσιος\\Люк é Δ Л")]
    [InlineData("ISO 2022 IR 6\\ISO 2022 IR 87\\ISO 2022 IR 159", "山田丂^太郎\\やまだ")]
    [InlineData("GB18030", "Wang^XiaoDong=王^小东=")]
    [InlineData("GBK", "Wang^XiaoDong=王^小东=")]
    [InlineData("ISO_IR 192", "Wang^XiaoDong=王^小東=")]
    public void EncodeDecode_RepresentableText_RoundTrips(string raw, string text)
    {
        var cs = Cs(raw);
        Assert.Empty(cs.Warnings);
        foreach (var vr in new[] { DicomVR.PN, DicomVR.LO, DicomVR.LT })
        {
            Assert.True(cs.TryEncode(text, vr, out var bytes), $"{vr}: not representable");
            Assert.Equal(text, cs.Decode(bytes, vr));
        }
    }
}
