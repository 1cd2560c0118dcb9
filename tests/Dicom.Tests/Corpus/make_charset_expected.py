#!/usr/bin/env python3
"""Writes charset_expected.json: every character-set-dependent string value of the charset corpus as
pydicom 2.3 decodes it. Run from the repository root:
    /usr/bin/python3 tests/Dicom.Tests/Corpus/make_charset_expected.py
Each entry: file, path (list of [sequence tag, item index] steps), tag, vr, values (one string per value;
PN values as pydicom formats them, i.e. without trailing empty component groups).
"""
import glob
import json
import os

import pydicom

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "charset_files")
TEXT_VRS = {"SH", "LO", "ST", "LT", "UC", "UT", "PN"}


def walk(ds, path, out, name):
    for elem in ds:
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value):
                walk(item, path + [["%08X" % elem.tag, i]], out, name)
        elif elem.VR in TEXT_VRS:
            v = elem.value
            values = [] if v is None or v == "" else ([str(x) for x in v] if isinstance(v, pydicom.multival.MultiValue) else [str(v)])
            out.append({"file": name, "path": path, "tag": "%08X" % elem.tag, "vr": elem.VR, "values": values})


def main():
    out = []
    for f in sorted(glob.glob(os.path.join(CORPUS, "*.dcm"))):
        ds = pydicom.dcmread(f)
        walk(ds, [], out, os.path.basename(f))
    with open(os.path.join(HERE, "charset_expected.json"), "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
