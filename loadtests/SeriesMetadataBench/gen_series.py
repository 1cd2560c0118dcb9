#!/usr/bin/python3
"""Writes N series of M instances each (default 6 x 500) for the series metadata benchmark.

Every instance is pydicom's CT_small.dcm (a real CT header, about 5 KB of DICOM JSON, 128x128 pixels) with new
Study/Series/SOP Instance UIDs and Instance Numbers, so the metadata of one 500-instance series is about 2.5 MB of
JSON, the same series the DICOMweb end-to-end tests use. One study per series: each series is built by its own
study grain, so "cold" really is cold. Prints one line per series: STUDY_UID<TAB>SERIES_UID<TAB>DIRECTORY.

  /usr/bin/python3 gen_series.py --out /tmp/meta-series [--series 6] [--instances 500]
"""
import argparse
import os

from pydicom import dcmread
from pydicom.data import get_testdata_file

ROOT = "1.2.826.0.1.3680043.8.498.78"  # same UID root as the tests' synthetic data, its own branch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--series", type=int, default=6)
    ap.add_argument("--instances", type=int, default=500)
    ap.add_argument("--tag", default="1", help="distinguishes data sets generated for different runs")
    args = ap.parse_args()
    template = dcmread(get_testdata_file("CT_small.dcm"))
    for s in range(1, args.series + 1):
        study = f"{ROOT}.{args.tag}.{s}"
        series = f"{study}.1"
        directory = os.path.join(args.out, f"series{s}")
        os.makedirs(directory, exist_ok=True)
        for i in range(1, args.instances + 1):
            sop = f"{series}.{i}"
            template.StudyInstanceUID = study
            template.SeriesInstanceUID = series
            template.SOPInstanceUID = sop
            template.file_meta.MediaStorageSOPInstanceUID = sop
            template.InstanceNumber = i
            template.PatientID = f"META-BENCH-{s}"
            template.save_as(os.path.join(directory, f"{i:04d}.dcm"), write_like_original=False)
        print(f"{study}\t{series}\t{directory}", flush=True)


if __name__ == "__main__":
    main()
