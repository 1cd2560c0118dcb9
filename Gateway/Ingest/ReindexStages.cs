namespace Pacs.Gateway.Ingest;

/// <summary>
/// Where a rebuild's time went, in seconds summed over what ran at once (so that their sum may exceed the elapsed
/// time): <see cref="ReadSeconds"/> reading blobs (open, the hash attribute, the header, the Pixel Data's extent),
/// <see cref="RecordSeconds"/> building the index records (the header as DICOM JSON), <see cref="CommitSeconds"/>
/// waiting for study grains' commits (their batch transactions included).
/// </summary>
public sealed record ReindexStages(double ReadSeconds, double RecordSeconds, double CommitSeconds);
