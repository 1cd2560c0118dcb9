#!/usr/bin/python3
"""Writes pydicom's DICOM JSON (PS3.18 Annex F) for each corpus file into json_expected/<name>.json.

Run with Debian's /usr/bin/python3 (python3-pydicom 2.3):  /usr/bin/python3 make_json_expected.py
The output is checked in, so the comparison test (Json/DicomJsonCorpusTests.cs) runs without Python.

Bulk data: pydicom sends a binary value to its handler when its base64 text is longer than the threshold
(1024 characters, i.e. values of 769 bytes or more); the handler's URI is "bulk/" + the element's tag, which the
C# test reproduces with BulkDataThreshold = 769 and the same URI.
"""
import json
import os
import sys
import warnings

import pydicom

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "test_files")
TARGET = os.path.join(HERE, "json_expected")

# Structurally broken files (see CorpusFiles.Broken): nothing to compare.
BROKEN = {"MR_truncated.dcm", "rtplan_truncated.dcm", "no_meta.dcm"}


def uri(element):
    return "bulk/%08X" % element.tag


def main():
    os.makedirs(TARGET, exist_ok=True)
    written = 0
    for name in sorted(os.listdir(SOURCE)):
        if not name.endswith(".dcm") or name in BROKEN:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(os.path.join(SOURCE, name), force=True)
                data = ds.to_json_dict(bulk_data_threshold=1024, bulk_data_element_handler=uri,
                                       suppress_invalid_tags=True)
        except Exception as exc:  # pydicom cannot read it: no expectation, the C# test skips the name
            print("skipped %s: %s" % (name, exc), file=sys.stderr)
            continue
        with open(os.path.join(TARGET, name[:-4] + ".json"), "w", encoding="utf-8") as f:
            json.dump(data, f, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=True)
            f.write("\n")
        written += 1
    print("wrote %d files to %s" % (written, TARGET))


if __name__ == "__main__":
    main()
