namespace Pacs.Dicom.Codecs;

/// <summary>A codec's native library (libcharls, libopenjp2) is not installed or lacks an entry point: answered 406/415, never a crash.</summary>
public sealed class CodecUnavailableException(string library, Exception? inner = null)
    : Exception($"The codec library {library} is not available on this host.", inner)
{
    public string Library { get; } = library;
}
