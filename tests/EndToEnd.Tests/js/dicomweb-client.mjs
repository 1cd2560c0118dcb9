// Drives a live gateway with dicomweb-client (the DICOMweb library inside OHIF), as a browser would, and prints what
// each call returned as one JSON object for DicomWebClientTests to assert on.
//   node dicomweb-client.mjs <DICOMweb root, e.g. http://127.0.0.1:8080/dicom-web> <Part 10 file>...
// The files are one series: stored with STOW-RS, then found and read back with QIDO-RS and WADO-RS.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

const require = createRequire(import.meta.url);
// dicomweb-client speaks through XMLHttpRequest; node has none, xhr2 is a faithful one.
globalThis.XMLHttpRequest = require('xhr2');
const { api } = require('dicomweb-client');

const [root, ...files] = process.argv.slice(2);
if (!root || files.length === 0) {
  console.error('usage: node dicomweb-client.mjs <dicomweb root> <part10 file>...');
  process.exit(2);
}

// PACS_ACCESS_TOKEN: a bearer token from POST /auth/token, sent on every request.
const headers = process.env.PACS_ACCESS_TOKEN ? { Authorization: `Bearer ${process.env.PACS_ACCESS_TOKEN}` } : {};
const client = new api.DICOMwebClient({ url: root, singlepart: 'bulkdata,video,pdf', headers });
const value = (json, tag) => json?.[tag]?.Value?.[0];
const sha256 = buffer => createHash('sha256').update(Buffer.from(buffer)).digest('hex');
const toArrayBuffer = b => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);

const result = {};
try {
  const datasets = files.map(f => toArrayBuffer(readFileSync(f)));
  const stored = await client.storeInstances({ datasets });
  result.store = typeof stored === 'string' ? JSON.parse(stored)
    : stored instanceof ArrayBuffer ? JSON.parse(new TextDecoder().decode(stored)) : stored;

  const referenced = result.store?.['00081199']?.Value ?? [];
  result.storedSopInstanceUids = referenced.map(item => value(item, '00081155'));

  // The study of the first stored instance, found by its UID as OHIF does for a study it opens.
  const first = referenced[0];
  const retrieveUrl = value(first, '00081190') ?? '';
  const studyInstanceUID = decodeURIComponent(retrieveUrl.split('/studies/')[1]?.split('/')[0] ?? '');
  result.studyInstanceUID = studyInstanceUID;

  result.studies = await client.searchForStudies({ queryParams: { StudyInstanceUID: studyInstanceUID, includefield: '00081030,00080061,00201208' } });
  result.series = await client.searchForSeries({ studyInstanceUID });
  const seriesInstanceUID = value(result.series[0], '0020000E');
  result.metadata = await client.retrieveSeriesMetadata({ studyInstanceUID, seriesInstanceUID });

  const sopInstanceUID = value(result.metadata[0], '00080018');
  const frames = await client.retrieveInstanceFrames({ studyInstanceUID, seriesInstanceUID, sopInstanceUID, frameNumbers: [1] });
  result.frames = { sopInstanceUID, parts: frames.map(f => ({ length: f.byteLength, sha256: sha256(f) })) };
  result.ok = true;
} catch (error) {
  result.ok = false;
  result.error = { message: String(error?.message ?? error), status: error?.status, response: error?.response?.toString?.() };
}
process.stdout.write(JSON.stringify(result));
