namespace Pacs.Grains;

/// <summary>
/// The content hash algorithms an index row may name (pacs_instances.content_hash_algorithm, 0170): rows indexed
/// before issue 17 hold SHA-256 and keep it, new instances are hashed with BLAKE3.
/// </summary>
public static class ContentHashAlgorithms
{
    public const string Sha256 = "sha256";

    public const string Blake3 = "blake3";
}
