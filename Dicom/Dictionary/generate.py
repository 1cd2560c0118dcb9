#!/usr/bin/env python3
"""Generates the DICOM data dictionary and UID registry of Pacs.Dicom as checked-in C#.

Run from anywhere (paths are resolved from this file):  python3 Dicom/Dictionary/generate.py
Optional:  --out DIR   write the three .g.cs files to DIR instead of Dicom/Dictionary/ (used by the
                       determinism test, which compares the result with the checked-in files).

Inputs (see input/README.md for origin, version and licence):
  input/dicom.dic              dcmtk's data dictionary (PS3.6/PS3.7 2022b): tags, masks, VR, keyword, VM, retired.
  input/pydicom_dicom_dict.py  pydicom's data dictionary: only the human-readable Name (dicom.dic has none) and the
                               exact VR list where dcmtk writes a pseudo VR (lt).
  input/pydicom_uid_dict.py    pydicom's UID registry (PS3.6 Table A-1): UID, name, type, retired, keyword.

Python standard library only; the Python inputs are read with ast.literal_eval, never imported or executed.
The output depends only on the inputs: every collection is sorted before it is written.
"""

import argparse
import ast
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
INPUT = HERE / "input"

# VRs of PS3.5 Table 6.2-1 (the ones DicomVR defines).
KNOWN_VRS = {
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD", "OF", "OL", "OV", "OW",
    "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV",
}

# dcmtk's internal pseudo VRs (dcmdata/dcvr.h) mapped to the VR lists of PS3.6.
PSEUDO_VRS = {
    "up": ["UL"],               # unsigned 32-bit offset inside a DICOMDIR: UL in PS3.6
    "xs": ["US", "SS"],         # "US or SS"
    "ox": ["OB", "OW"],         # "OB or OW" (overlay, curve, waveform data)
    "px": ["OB", "OW"],         # "OB or OW" (pixel data)
    "lt": ["US", "SS", "OW"],   # "US or SS or OW" (LUT data); narrowed per tag from pydicom where it has the tag
    "na": [],                   # Item and the delimitation items have no VR (PS3.5 7.5)
}

# dcmtk lists these retired attributes under one representative tag and keeps the standard's range only in a
# comment. PS3.6 Table 6-1 defines them with "x" digits; the masks below say which bits must match.
ELEMENT_RANGES = {
    0x00280410: 0xFFFFFF0F, 0x00280411: 0xFFFFFF0F, 0x00280412: 0xFFFFFF0F, 0x00280413: 0xFFFFFF0F,  # (0028,04x0-3)
    0x00280800: 0xFFFFFF0F, 0x00280802: 0xFFFFFF0F, 0x00280803: 0xFFFFFF0F, 0x00280804: 0xFFFFFF0F,  # (0028,08x0-8)
    0x00280808: 0xFFFFFF0F,
    0x10000010: 0xFFFF000F, 0x10000011: 0xFFFF000F, 0x10000012: 0xFFFF000F, 0x10000013: 0xFFFF000F,  # (1000,xxx0-5)
    0x10000014: 0xFFFF000F, 0x10000015: 0xFFFF000F,
    0x10100004: 0xFFFF0000,                                                                          # (1010,xxxx)
}

# Members of DicomTag (hand-written part, record struct synthesised members, System.Object). A keyword equal to
# one of these gets KEYWORD_SUFFIX appended to its field name; the keyword itself is unchanged.
DICOMTAG_MEMBERS = {
    "Value", "Group", "Element", "IsPrivate", "IsPrivateCreator", "IsGroupLength", "CompareTo", "ToString",
    "ToHexString", "TryParse", "Equals", "GetHashCode", "Deconstruct", "GetType", "MemberwiseClone",
    "ReferenceEquals", "PrintMembers", "DicomTag",
}
DICOMUIDS_MEMBERS = {"Find", "All", "StorageSopClasses", "IsStorageSopClass", "Equals", "ReferenceEquals", "DicomUids"}
KEYWORD_SUFFIX = "Tag"

def fail(message):
    sys.exit(f"generate.py: {message}")


def cs_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def xml_text(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def literal_assignments(path):
    """Top-level NAME = {...} / NAME: T = {...} assignments of a generated Python data file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    result = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            result[node.target.id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            result[node.targets[0].id] = ast.literal_eval(node.value)
    return result


def mask_key(tag, mask):
    """pydicom's spelling of a masked tag: '60xx3000', '002804x0'."""
    digits = f"{tag:08X}"
    return "".join(d if (mask >> (28 - 4 * i)) & 0xF else "x" for i, d in enumerate(digits))


def split_keyword(keyword):
    """Fallback Name for the few 2022b tags that pydicom 2.3 does not know yet."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", keyword)


def range_mask(lo, hi, width):
    """Mask for a dcmtk range lo-hi: the bits that differ between the bounds are free."""
    free = lo ^ hi
    if (lo & free) != 0 or (hi & free) != free:
        fail(f"range {lo:X}-{hi:X} is not a mask range")
    return ((1 << width) - 1) & ~free


def parse_dicom_dic(path, names, repeaters):
    entries = []
    tag_re = re.compile(r"^\(([0-9A-F]{4})(?:-([0-9A-F]{4}))?,([0-9A-F]{4})(?:-([0-9A-F]{4}))?\)$")
    for number, line in enumerate(path.read_text(encoding="ascii").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            fail(f"dicom.dic:{number}: expected 5 tab-separated fields")
        tag_text, vr_text, keyword, vm, version = fields
        # PRIVATE / ILLEGAL / GENERIC lines are dcmtk's catch-alls (private group length and creators, group
        # length): DicomDictionary handles those by rule, so they are not table entries.
        if version not in ("DICOM", "DICOM/retired", "DICOM/DICOS", "DICOM/DICONDE"):
            continue
        m = tag_re.match(tag_text)
        if not m:
            fail(f"dicom.dic:{number}: unsupported tag notation {tag_text}")
        g_lo, g_hi, e_lo, e_hi = m.groups()
        group, element = int(g_lo, 16), int(e_lo, 16)
        mask = 0xFFFFFFFF
        if g_hi:
            mask &= (range_mask(group, int(g_hi, 16), 16) << 16) | 0xFFFF
        if e_hi:
            mask &= 0xFFFF0000 | range_mask(element, int(e_hi, 16), 16)
        tag = (group << 16) | element
        if tag in ELEMENT_RANGES:
            mask = ELEMENT_RANGES[tag]
        retired = version == "DICOM/retired"
        if keyword.startswith("RETIRED_"):
            keyword = keyword[len("RETIRED_"):]
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", keyword):
            fail(f"dicom.dic:{number}: keyword {keyword!r} is not an identifier")

        py = names.get(tag) if mask == 0xFFFFFFFF else repeaters.get(mask_key(tag, mask))
        if py is not None and py[4] != keyword:
            py = None  # same tag, different attribute: trust dcmtk and do not borrow the name
        if vr_text in KNOWN_VRS:
            vrs = [vr_text]
        elif vr_text in PSEUDO_VRS:
            vrs = PSEUDO_VRS[vr_text]
            if py is not None and py[0] != "NONE":
                exact = py[0].split(" or ")
                if not set(exact) <= set(vrs) or not exact:
                    fail(f"dicom.dic:{number}: pydicom VR {py[0]} does not fit dcmtk {vr_text}")
                vrs = exact
        else:
            fail(f"dicom.dic:{number}: unknown VR {vr_text}")
        name = py[2] if py is not None and py[2] else split_keyword(keyword)
        entries.append({
            "tag": tag,
            "mask": mask, "keyword": keyword, "name": name, "vrs": vrs, "vm": vm, "retired": retired,
            "source": version.split("/")[1] if "/" in version and version != "DICOM/retired" else "",
            "named_by_fallback": py is None or not py[2],
        })
    return entries


def default_vr(vrs):
    """The VR an implicit VR little endian reader assumes (PS3.5 Annex A.1): OW for "OB or OW" data (pixel,
    overlay, curve, waveform), the first listed VR otherwise ("US or SS" -> US, "US or OW" -> US), UN for none."""
    if not vrs:
        return "UN"
    if "OB" in vrs and "OW" in vrs:
        return "OW"
    return vrs[0]


def vr_code(vr):
    return (ord(vr[0]) << 8) | ord(vr[1])


def hex_list(values, digits, per_line=8, indent="        "):
    lines = []
    for i in range(0, len(values), per_line):
        lines.append(indent + ", ".join(f"0x{v:0{digits}X}" for v in values[i:i + per_line]) + ",")
    return "\n".join(lines)


HEADER = """// <auto-generated>
// Generated by Dicom/Dictionary/generate.py from {inputs}.
// Do not edit: change the generator or its inputs and run `python3 Dicom/Dictionary/generate.py`.
// </auto-generated>
#nullable enable
"""


def tag_text(tag, mask):
    g, e = f"{tag >> 16:04X}", f"{tag & 0xFFFF:04X}"
    key = mask_key(tag, mask)
    return f"({key[:4]},{key[4:]})" if mask != 0xFFFFFFFF else f"({g},{e})"


def write_tags(entries, out):
    lines = [HEADER.format(inputs="dcmtk dicom.dic (PS3.6 2022b) and pydicom _dicom_dict.py"),
             "namespace Pacs.Dicom;", "",
             "// One property per public keyword of PS3.6 (DICOM, DICOS and DICONDE attributes, retired ones included).",
             "// Expression-bodied properties rather than static readonly fields: five thousand struct fields made the",
             "// type initialiser of DicomTag take ~100 ms on first use; a property is inlined and costs nothing.",
             f"// A keyword equal to a member of DicomTag gets the suffix \"{KEYWORD_SUFFIX}\" (see DICOMTAG_MEMBERS in",
             "// generate.py). Repeating groups and element ranges (60xx, 50xx, 7Fxx, (0028,04x0)...) get one",
             "// representative tag; DicomDictionary matches the whole range through the entry's mask.",
             "public readonly partial record struct DicomTag", "{"]
    for e in sorted(entries, key=lambda x: (x["tag"], x["keyword"])):
        field = e["field"]
        parts = [f"{tag_text(e['tag'], e['mask'])} {xml_text(e['name'])}",
                 f"VR {' or '.join(e['vrs']) if e['vrs'] else 'none'}, VM {e['vm']}"]
        if e["retired"]:
            parts.append("Retired")
        if e["source"]:
            parts.append(f"Defined by {e['source']}")
        if e["mask"] != 0xFFFFFFFF:
            parts.append(f"Repeating: this property is the representative ({e['tag'] >> 16:04X},{e['tag'] & 0xFFFF:04X})")
        if field != e["keyword"]:
            parts.append(f"Keyword {e['keyword']} (suffixed: it clashes with a member of DicomTag)")
        lines.append(f"    /// <summary>{'. '.join(parts)}.</summary>")
        lines.append(f"    public static DicomTag {field} => new(0x{e['tag']:08X}u);")
    lines.append("}")
    (out / "DicomTag.g.cs").write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def raw_lines(values, indent="        "):
    """A C# raw string literal with one value per line (one literal for the whole column: interning ten thousand
    separate literals costs more first-use time than everything else in the table)."""
    for v in values:
        if '"""' in v or "\n" in v or v != v.strip() or not v:
            fail(f"value {v!r} cannot be a raw string line")
    return [indent + '"""'] + [indent + v for v in values] + [indent + '""";']


def write_dictionary(exact, masked, out):
    entries = exact + masked
    vr_lists = sorted({tuple(e["vrs"]) for e in entries})
    vms = sorted({e["vm"] for e in entries}, key=lambda vm: (len(vm), vm))
    if len(vr_lists) > 255 or len(vms) > 255:
        fail("too many VR lists or VMs for a byte index")
    lines = [HEADER.format(inputs="dcmtk dicom.dic (PS3.6 2022b) and pydicom _dicom_dict.py"),
             "namespace Pacs.Dicom.Dictionary;", "",
             "public static partial class DicomDictionary", "{",
             "    // Sorted tags of the exact (unmasked) entries, searched by GetDefaultVR and TryGetEntry. Plain arrays, filled",
             "    // from the assembly image by one memory copy at type initialisation: a ReadOnlySpan<uint> property over a",
             "    // literal would go through RuntimeHelpers.CreateSpan, which allocates on every call in unoptimised (Debug) code.",
             "    private static readonly uint[] _exactTags =", "    [",
             hex_list([e["tag"] for e in exact], 8), "    ];", "",
             "    // Default VR (implicit VR little endian) of each exact entry, as DicomVR.Code, same order as _exactTags.",
             "    private static readonly ushort[] _exactDefaultVRs =", "    [",
             hex_list([vr_code(default_vr(e["vrs"])) for e in exact], 4, 12), "    ];", "",
             "    // Masked entries (repeating groups, element ranges), most specific mask first.",
             "    private static readonly uint[] _maskedTags =", "    [",
             hex_list([e["tag"] for e in masked], 8), "    ];", "",
             "    private static readonly uint[] _maskedMasks =", "    [",
             hex_list([e["mask"] for e in masked], 8), "    ];", "",
             "    private static readonly ushort[] _maskedDefaultVRs =", "    [",
             hex_list([vr_code(default_vr(e["vrs"])) for e in masked], 4, 12), "    ];", "",
             "    /// <summary>",
             "    /// The rest of each entry, exact entries first then masked ones (same order as the arrays above), as",
             "    /// columns: numbers in arrays, strings one per line in a single literal. DicomDictionary builds the entry",
             "    /// objects from these on first use; a method with one constructor call per entry took ~300 ms to JIT.",
             "    /// </summary>",
             "    private static class GeneratedData",
             "    {",
             "        internal static readonly DicomVR[][] VRLists =",
             "        ["]
    for vrs in vr_lists:
        lines.append("            [" + ", ".join(f"DicomVR.{v}" for v in vrs) + "],")
    lines += ["        ];", "",
              "        internal static readonly string[] VMs = [" + ", ".join(cs_string(v) for v in vms) + "];", "",
              "        internal static readonly byte[] VRListIndex =", "        ["]
    lines.append(hex_list([vr_lists.index(tuple(e["vrs"])) for e in entries], 2, 16, "            "))
    lines += ["        ];", "",
              "        internal static readonly byte[] VMIndex =", "        ["]
    lines.append(hex_list([vms.index(e["vm"]) for e in entries], 2, 16, "            "))
    lines += ["        ];", "",
              "        internal static readonly bool[] IsRetired =", "        ["]
    flags = ["true" if e["retired"] else "false" for e in entries]
    for i in range(0, len(flags), 16):
        lines.append("            " + ", ".join(flags[i:i + 16]) + ",")
    lines += ["        ];", "",
              "        internal const string Keywords ="]
    lines += raw_lines([e["keyword"] for e in entries])
    lines += ["", "        internal const string Names ="]
    lines += raw_lines([e["name"] for e in entries])
    lines += ["    }", "}"]
    (out / "DicomDictionary.g.cs").write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def uid_sort_key(uid):
    return [int(p) for p in uid.split(".")]


def is_storage_sop_class(name, uid_type):
    """Storage SOP classes by name (PS3.4 Annex B and the Storage Service Class of each IOD): a SOP Class whose
    name contains "Storage" ("... Storage", "... Storage - For Processing", "... Storage - Trial",
    "... Storage SOP Class"), except the ones that are not C-STORE targets: Storage Commitment (PS3.4 Annex J)
    and the Media Storage Directory (DICOMDIR, PS3.10), which is never sent over the network."""
    if uid_type != "SOP Class" or "Storage" not in name:
        return False
    if name.startswith("Storage Commitment") or name == "Media Storage Directory Storage":
        return False
    return True


def write_uids(uids, out):
    lines = [HEADER.format(inputs="pydicom _uid_dict.py (PS3.6 2022 Table A-1)"),
             "namespace Pacs.Dicom;", "",
             "public static partial class DicomUids", "{"]
    for u in uids:
        if not u["keyword"]:
            continue
        doc = f"{xml_text(u['name'])} ({xml_text(u['type'])}{', retired' if u['retired'] else ''})"
        lines.append(f"    /// <summary>{doc}.</summary>")
        lines.append(f"    public const string {u['field']} = {cs_string(u['uid'])};")
    lines.append("")
    lines.append("    /// <summary>Every UID of the 2022 registry, in UID order (keyword-less retired ones included).</summary>")
    lines.append("    private static DicomUidInfo[] CreateGeneratedTable() =>")
    lines.append("    [")
    for u in uids:
        lines.append(f"        new({cs_string(u['uid'])}, {cs_string(u['name'])}, {cs_string(u['keyword'])}, "
                     f"{cs_string(u['type'])}, {'true' if u['retired'] else 'false'}),")
    lines.append("    ];")
    lines.append("")
    lines.append("    // Storage SOP classes chosen by generate.py is_storage_sop_class: name contains \"Storage\", type SOP Class,")
    lines.append("    // not Storage Commitment, not Media Storage Directory Storage. Retired classes included: archives meet them.")
    lines.append("    private static readonly string[] _generatedStorageSopClasses =")
    lines.append("    [")
    for u in uids:
        if is_storage_sop_class(u["name"], u["type"]):
            value = u["field"] if u["keyword"] else cs_string(u["uid"])
            lines.append(f"        {value}, // {u['name']}{' (retired)' if u['retired'] else ''}")
    lines.append("    ];")
    lines.append("}")
    (out / "DicomUids.g.cs").write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output directory (default: Dicom/Dictionary)")
    parser.add_argument("--verbose", action="store_true", help="print statistics to stderr")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    py_dict = literal_assignments(INPUT / "pydicom_dicom_dict.py")
    names, repeaters = py_dict["DicomDictionary"], py_dict["RepeatersDictionary"]
    entries = parse_dicom_dic(INPUT / "dicom.dic", names, repeaters)

    seen_tags, seen_keywords = {}, {}
    for e in entries:
        key = (e["tag"], e["mask"])
        if key in seen_tags:
            fail(f"duplicate tag {e['tag']:08X} ({seen_tags[key]} and {e['keyword']})")
        seen_tags[key] = e["keyword"]
        if e["keyword"] in seen_keywords:
            fail(f"duplicate keyword {e['keyword']}")
        seen_keywords[e["keyword"]] = e
    for e in entries:
        e["field"] = e["keyword"] + KEYWORD_SUFFIX if e["keyword"] in DICOMTAG_MEMBERS else e["keyword"]
        if e["field"] != e["keyword"] and e["field"] in seen_keywords:
            fail(f"suffixed field {e['field']} clashes with a keyword")

    exact = sorted((e for e in entries if e["mask"] == 0xFFFFFFFF), key=lambda x: x["tag"])
    # Most specific mask first, so (0028,04x0) is tried before a broader range could claim the same tag.
    masked = sorted((e for e in entries if e["mask"] != 0xFFFFFFFF),
                    key=lambda x: (-bin(x["mask"]).count("1"), x["tag"], x["mask"]))
    for item in ("Item", "ItemDelimitationItem", "SequenceDelimitationItem"):
        if item not in seen_keywords:
            fail(f"{item} missing from dicom.dic")

    uid_dict = literal_assignments(INPUT / "pydicom_uid_dict.py")["UID_dictionary"]
    uids = []
    for uid in sorted(uid_dict, key=uid_sort_key):
        name, uid_type, _info, retired, keyword = uid_dict[uid]
        field = keyword + "Uid" if keyword in DICOMUIDS_MEMBERS else keyword
        uids.append({"uid": uid, "name": name, "type": uid_type, "retired": retired == "Retired",
                     "keyword": keyword, "field": field})
    uid_keywords = [u["keyword"] for u in uids if u["keyword"]]
    if len(uid_keywords) != len(set(uid_keywords)):
        fail("duplicate UID keyword")

    write_tags(entries, args.out)
    write_dictionary(exact, masked, args.out)
    write_uids(uids, args.out)

    if args.verbose:
        fallback = sorted(e["keyword"] for e in entries if e["named_by_fallback"])
        print(f"tags: {len(exact)} exact + {len(masked)} masked = {len(entries)} "
              f"({sum(e['retired'] for e in entries)} retired, "
              f"{sum(e['source'] == 'DICOS' for e in entries)} DICOS, "
              f"{sum(e['source'] == 'DICONDE' for e in entries)} DICONDE)", file=sys.stderr)
        print(f"names derived from keyword (not in pydicom 2.3): {', '.join(fallback)}", file=sys.stderr)
        print(f"suffixed fields: {[e['field'] for e in entries if e['field'] != e['keyword']]}", file=sys.stderr)
        print(f"uids: {len(uids)} ({len(uid_keywords)} with keyword, "
              f"{sum(is_storage_sop_class(u['name'], u['type']) for u in uids)} storage SOP classes)", file=sys.stderr)


if __name__ == "__main__":
    main()
