#!/usr/bin/python3
"""The demo data set of ./pacs demo (issue 16): generated here, never downloaded. System python with pydicom and numpy.

  demo-data.py OUT     writes Part 10 files under OUT (same output on every run: fixed UIDs, fixed pixels)

Five patients, names in our five languages (Latin and Cyrillic, Specific Character Set ISO_IR 192, UTF-8, PS3.5 6.1):
  Иванова^Мария      CT chest, 160 axial slices 256x256 (a scrollable stack)
  Müller^Jürgen      MR head, two series (T1, T2) of 24 slices 256x256
  Dupont^Élodie      CR chest, one 512x512 image
  García^José        US, one multi-frame cine of 30 frames 240x320 (US Multi-frame Image Storage)
  Smith^John         DX hand, and an Encapsulated PDF report (PS3.3 A.45.1)
"""
import datetime as dt
import os
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's root for generated UIDs, as in /work/shared/bench
CT, MR, CR, DX = "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.1", "1.2.840.10008.5.1.4.1.1.1.1"
US_MULTIFRAME, PDF = "1.2.840.10008.5.1.4.1.1.3.1", "1.2.840.10008.5.1.4.1.1.104.1"

PATIENTS = [
    ("DEMO-RU-1", "Иванова^Мария", "19580312", "F"),
    ("DEMO-DE-2", "Müller^Jürgen", "19710704", "M"),
    ("DEMO-FR-3", "Dupont^Élodie", "19890121", "F"),
    ("DEMO-ES-4", "García^José", "19650930", "M"),
    ("DEMO-EN-5", "Smith^John", "19920215", "M"),
]


def uid(*parts):
    return generate_uid(prefix=UID_ROOT, entropy_srcs=["pacs-demo"] + [str(p) for p in parts])


def dataset(sop_class, sop_uid, patient, study, modality, series, number):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID_ROOT + "16"
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\0" * 128
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop_uid
    ds.PatientID, ds.PatientName, ds.PatientBirthDate, ds.PatientSex = patient
    ds.StudyInstanceUID, ds.StudyDate, ds.StudyTime, ds.StudyDescription, ds.AccessionNumber = study
    ds.StudyID = "1"
    ds.ReferringPhysicianName = "Demo^Referrer"
    ds.InstitutionName = "Clinton Demo Hospital"
    ds.Modality = modality
    ds.SeriesInstanceUID, ds.SeriesNumber, ds.SeriesDescription = series
    ds.InstanceNumber = number
    ds.Manufacturer = "Clinton PACS demo"
    return ds


def image(ds, pixels, photometric="MONOCHROME2", signed=False):
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    frames = 1 if pixels.ndim == 2 else pixels.shape[0]
    ds.Rows, ds.Columns = pixels.shape[-2], pixels.shape[-1]
    if frames > 1:
        ds.NumberOfFrames = frames
    bits = pixels.dtype.itemsize * 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits if bits == 8 else 12, (7 if bits == 8 else 11)
    ds.PixelRepresentation = 1 if signed else 0
    ds.PixelData = pixels.tobytes()


def save(ds, out, name):
    path = os.path.join(out, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ds.save_as(path, write_like_original=False)


def phantom(n, z, kind):
    y, x = np.mgrid[0:n, 0:n].astype(np.float32) / n - 0.5
    r = np.sqrt(x * x + (y * 1.25) ** 2)
    if kind == "ct":  # HU: body, two lungs, a spine, a heart that moves with z
        img = np.where(r < 0.42, 40.0, -1000.0)
        for cx in (-0.18, 0.18):
            img = np.where(((x - cx) ** 2 / 0.02 + y ** 2 / 0.06) < 1, -820.0, img)
        img = np.where(((x) ** 2 + (y - 0.28) ** 2) < 0.003, 900.0, img)
        img = np.where(((x + 0.04) ** 2 + (y + 0.02) ** 2) < 0.012 * (1 + 0.5 * np.sin(z / 20)), 60.0, img)
        return (img + 1024).astype(np.uint16)  # rescaled below: stored = HU + 1024
    head = np.where(r < 0.38 - 0.1 * abs(z - 12) / 12, 600.0 if kind == "t1" else 300.0, 0.0)
    head = np.where(r < 0.30 - 0.1 * abs(z - 12) / 12, 400.0 if kind == "t1" else 900.0, head)
    return head.astype(np.uint16)


def main(out):
    day = dt.date(2026, 11, 2)
    for index, patient in enumerate(PATIENTS):
        study = (uid("study", index), (day + dt.timedelta(days=index)).strftime("%Y%m%d"), "093000",
                 ["CT chest", "MR head", "CR chest", "US abdomen", "DX hand"][index], f"DEMO{index + 1:04d}")
        folder = os.path.join(out, patient[0])
        if index == 0:
            series = (uid("ct", index), 1, "Axial 1.25 mm")
            for z in range(160):
                ds = dataset(CT, uid("ct", index, z), patient, study, "CT", series, z + 1)
                ds.ImagePositionPatient = [-160, -160, -200 + 1.25 * z]
                ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
                ds.PixelSpacing, ds.SliceThickness = [1.25, 1.25], 1.25
                ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
                ds.WindowCenter, ds.WindowWidth = 40, 400
                ds.FrameOfReferenceUID = uid("for", index)
                image(ds, phantom(256, z, "ct"))
                save(ds, folder, f"CT/{z + 1:04d}.dcm")
        elif index == 1:
            for number, kind in ((1, "t1"), (2, "t2")):
                series = (uid("mr", index, kind), number, f"Axial {kind.upper()}")
                for z in range(24):
                    ds = dataset(MR, uid("mr", index, kind, z), patient, study, "MR", series, z + 1)
                    ds.ImagePositionPatient = [-120, -120, -60 + 5 * z]
                    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
                    ds.PixelSpacing, ds.SliceThickness = [0.94, 0.94], 5
                    ds.FrameOfReferenceUID = uid("for", index)
                    image(ds, phantom(256, z, kind))
                    save(ds, folder, f"MR{number}/{z + 1:04d}.dcm")
        elif index == 2:
            ds = dataset(CR, uid("cr", index), patient, study, "CR", (uid("crs", index), 1, "PA"), 1)
            y, x = np.mgrid[0:512, 0:512] / 512 - 0.5
            ds.ImagerPixelSpacing = [0.7, 0.7]
            image(ds, (3000 - 2000 * np.exp(-((np.abs(x) - 0.2) ** 2 / 0.01 + y ** 2 / 0.08))).clip(0, 4095).astype(np.uint16))
            save(ds, folder, "CR/0001.dcm")
        elif index == 3:
            ds = dataset(US_MULTIFRAME, uid("us", index), patient, study, "US", (uid("uss", index), 1, "Liver cine"), 1)
            y, x = np.mgrid[0:240, 0:320] / 240.0
            frames = np.stack([(128 + 100 * np.sin(12 * x + f / 3) * np.exp(-((y - 0.5) ** 2) * 8)).clip(0, 255) for f in range(30)]).astype(np.uint8)
            ds.FrameTime, ds.CineRate = 40, 25
            ds.FrameIncrementPointer = (0x0018, 0x1063)
            image(ds, frames)
            save(ds, folder, "US/0001.dcm")
        else:
            ds = dataset(DX, uid("dx", index), patient, study, "DX", (uid("dxs", index), 1, "Hand PA"), 1)
            y, x = np.mgrid[0:400, 0:320] / 400.0
            ds.ImagerPixelSpacing = [0.15, 0.15]
            ds.PresentationIntentType = "FOR PRESENTATION"
            image(ds, (500 + 2500 * ((np.abs(x - 0.4 - 0.1 * np.sin(y * 9)) < 0.05) & (y > 0.2))).astype(np.uint16))
            save(ds, folder, "DX/0001.dcm")
            pdf = dataset(PDF, uid("pdf", index), patient, study, "DOC", (uid("pdfs", index), 2, "Report"), 1)
            pdf.ConversionType, pdf.BurnedInAnnotation = "WSD", "YES"
            pdf.DocumentTitle, pdf.MIMETypeOfEncapsulatedDocument = "Demo report", "application/pdf"
            text = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj " \
                   b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj " \
                   b"4 0 obj<</Length 52>>stream\nBT /F1 18 Tf 20 70 Td (Clinton PACS demo report) Tj ET\nendstream endobj " \
                   b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj trailer<</Root 1 0 R>>\n%%EOF\n"
            pdf.EncapsulatedDocument = text + (b"\0" if len(text) % 2 else b"")
            save(pdf, folder, "DOC/report.dcm")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
