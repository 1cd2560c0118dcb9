namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// A STOW-RS body or instance longer than configured. An <see cref="IOException"/>, so that whoever reads the body
/// treats it as the end of the input (the ingest funnel aborts the instance and keeps nothing of it).
/// </summary>
internal sealed class SizeLimitExceededException(long limit) : IOException($"more than {limit} bytes")
{
    public long Limit => limit;
}
