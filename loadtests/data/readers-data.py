#!/usr/bin/python3
"""MR and CR studies for the readers load test (issue 17 section 1), beside the harness' CT (../shared/bench/gen_dataset.py).
System python with pydicom and numpy (/usr/bin/python3). Same arguments, same bytes: UIDs and pixels come from the seed.

  readers-data.py mr --out DIR [--studies 4] [--series 2] [--slices 30] [--seed 21]
      MR head studies: SERIES axial series (T1, T2, FLAIR, ...) of SLICES slices, 256x256, 16 bits allocated, 12 stored
  readers-data.py cr --out DIR [--studies 6] [--views 2] [--seed 22]
      CR chest studies: VIEWS images (PA, LAT) of 2140x1760 (a 43x35 cm plate at 0.2 mm), 12 bits stored, 7.5 MB each

Explicit VR Little Endian, one file per instance: DIR/<study>/<series>/<instance>.dcm. The patients (IDs RMR..., RCR...)
and UIDs are those of this generator only, so they never meet the harness' CT in the index.
"""
import argparse
import datetime as dt
import os

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's root for generated UIDs, as the harness' generator
MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4"  # PS3.4 B.5, MR Image Storage
CR_STORAGE = "1.2.840.10008.5.1.4.1.1.1"  # PS3.4 B.5, Computed Radiography Image Storage
SURNAMES = ["KOWALSKI", "NOVAK", "HORVATH", "JANSEN", "ROSSI", "SILVA", "NIELSEN", "MURPHY"]
GIVEN = ["ANNA", "PETER", "EVA", "JAN", "MARTA", "TOMAS", "ELLEN", "KARL"]
MR_WEIGHTINGS = ["T1", "T2", "FLAIR", "DWI", "T1 POST", "SWI"]


def uid(*parts):
    return generate_uid(prefix=UID_ROOT, entropy_srcs=["pacs-readers"] + [str(p) for p in parts])


def dataset(sop_class, sop_uid, study, modality, series, number):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID_ROOT + "17"
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\0" * 128
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop_uid
    for keyword, value in study.items():
        setattr(ds, keyword, value)
    ds.Modality = modality
    ds.SeriesInstanceUID, ds.SeriesNumber, ds.SeriesDescription = series
    ds.InstanceNumber = number
    ds.Manufacturer, ds.InstitutionName = "Clinton PACS readers load", "Readers Load General Hospital"
    return ds


def study_attributes(rng, kind, index, seed, description):
    date = dt.date(2019, 1, 1) + dt.timedelta(days=int(rng.integers(0, 2000)))
    return {
        "PatientID": f"R{kind}{seed:03d}{index:05d}",
        "PatientName": f"{SURNAMES[int(rng.integers(len(SURNAMES)))]}^{GIVEN[int(rng.integers(len(GIVEN)))]}",
        "PatientBirthDate": f"{int(rng.integers(1935, 2010))}0{int(rng.integers(1, 10))}1{int(rng.integers(0, 9))}",
        "PatientSex": "F" if index % 2 else "M",
        "StudyInstanceUID": uid(kind, seed, index),
        "StudyDate": date.strftime("%Y%m%d"),
        "StudyTime": f"{int(rng.integers(7, 19)):02d}{int(rng.integers(60)):02d}00",
        "AccessionNumber": f"R{kind}{seed:03d}{index:05d}",
        "StudyID": str(index + 1),
        "StudyDescription": description,
        "ReferringPhysicianName": "READERS^LOAD^^DR",
    }


def pixels(ds, image):
    # PS3.3 C.7.6.3: one sample, monochrome, 16 bits allocated, 12 stored, unsigned.
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns = image.shape
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = np.clip(image, 0, 4095).astype("<u2").tobytes()


def save(ds, out, *names):
    path = os.path.join(out, *names)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ds.save_as(path, write_like_original=False)


def head(n, z, slices, weighting, rng):
    """An axial slice of a head: skull, grey matter and ventricles whose contrast depends on the weighting."""
    y, x = np.mgrid[0:n, 0:n].astype(np.float32) / n - 0.5
    shrink = 1.0 - 0.6 * abs(z - slices / 2) / slices
    r = np.sqrt(x * x + (y * 1.2) ** 2) / max(shrink, 0.2)
    bright = weighting.startswith("T1")
    img = np.where(r < 0.40, 250.0, 0.0)                                # scalp and skull
    img = np.where(r < 0.36, 700.0 if bright else 1100.0, img)          # brain
    img = np.where((np.abs(x) < 0.05) & (np.abs(y) < 0.12 * shrink), 200.0 if bright else 1900.0, img)  # ventricles
    img += rng.normal(0.0, 25.0, size=img.shape).astype(np.float32)
    return img


def chest(rows, columns, view, rng):
    """A chest radiograph: bright body, dark lungs, a spine, coarse noise; computed at a quarter and repeated (fast)."""
    r4, c4 = rows // 4, columns // 4
    y, x = np.mgrid[0:r4, 0:c4].astype(np.float32)
    y, x = y / r4 - 0.5, x / c4 - 0.5
    img = 3300.0 - 900.0 * np.exp(-(x * x) / 0.12)
    lung_x = (0.17,) if view == "LL" else (-0.17, 0.17)
    for cx in lung_x:
        img -= 1800.0 * np.exp(-(((x - cx) ** 2) / 0.012 + ((y + 0.05) ** 2) / 0.05))
    img += 500.0 * np.exp(-(x * x) / 0.002)                             # spine / mediastinum
    img += rng.normal(0.0, 40.0, size=img.shape).astype(np.float32)
    return np.repeat(np.repeat(img, 4, axis=0), 4, axis=1)[:rows, :columns]


def gen_mr(out, studies, series_count, slices, seed):
    for index in range(studies):
        rng = np.random.default_rng([seed, index])
        study = study_attributes(rng, "MR", index, seed, "MR BRAIN W/WO")
        frame_of_reference = uid("mr-for", seed, index)
        for s in range(series_count):
            weighting = MR_WEIGHTINGS[s % len(MR_WEIGHTINGS)]
            series = (uid("mr-series", seed, index, s), s + 1, f"AX {weighting}")
            for z in range(slices):
                ds = dataset(MR_STORAGE, uid("mr", seed, index, s, z), study, "MR", series, z + 1)
                # PS3.3 C.8.3.1: MR Image module, Type 1 attributes.
                ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NONE"]
                ds.ScanningSequence, ds.SequenceVariant, ds.ScanOptions, ds.MRAcquisitionType = "SE", "NONE", "", "2D"
                ds.EchoTrainLength, ds.RepetitionTime, ds.EchoTime = 1, 500 if weighting.startswith("T1") else 4000, 12 if weighting.startswith("T1") else 90
                ds.ImagePositionPatient = [-120.0, -120.0, -70.0 + 5.0 * z]
                ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
                ds.PixelSpacing, ds.SliceThickness, ds.SliceLocation = [0.9375, 0.9375], 5.0, -70.0 + 5.0 * z
                ds.FrameOfReferenceUID, ds.PositionReferenceIndicator = frame_of_reference, ""
                ds.PatientPosition = "HFS"  # PS3.3 C.7.3.1: required in MR series (Type 2C)
                ds.WindowCenter, ds.WindowWidth = 800, 1600
                pixels(ds, head(256, z, slices, weighting, rng))
                save(ds, out, study["StudyInstanceUID"], series[0], f"{z + 1:04d}.dcm")


def gen_cr(out, studies, views, seed):
    for index in range(studies):
        rng = np.random.default_rng([seed, index])
        study = study_attributes(rng, "CR", index, seed, "XR CHEST 2 VIEWS" if views > 1 else "XR CHEST 1 VIEW")
        for v in range(views):
            view = ["PA", "LL"][v % 2]
            series = (uid("cr-series", seed, index, v), v + 1, f"CHEST {view}")
            ds = dataset(CR_STORAGE, uid("cr", seed, index, v), study, "CR", series, 1)
            # PS3.3 C.8.1.1: CR Series module (Body Part Examined, View Position); C.8.1.2 CR Image module.
            ds.BodyPartExamined, ds.ViewPosition = "CHEST", view
            ds.ImagerPixelSpacing = [0.2, 0.2]
            ds.PatientOrientation = ["P", "F"] if view == "PA" else ["A", "F"]
            ds.WindowCenter, ds.WindowWidth = 2048, 4096
            pixels(ds, chest(2140, 1760, view, rng))
            save(ds, out, study["StudyInstanceUID"], series[0], "0001.dcm")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["mr", "cr"])
    parser.add_argument("--out", required=True)
    parser.add_argument("--studies", type=int)
    parser.add_argument("--series", type=int, default=2)
    parser.add_argument("--slices", type=int, default=30)
    parser.add_argument("--views", type=int, default=2)
    parser.add_argument("--seed", type=int)
    a = parser.parse_args()
    if a.kind == "mr":
        gen_mr(a.out, a.studies or 4, a.series, a.slices, 21 if a.seed is None else a.seed)
    else:
        gen_cr(a.out, a.studies or 6, a.views, 22 if a.seed is None else a.seed)


if __name__ == "__main__":
    main()
