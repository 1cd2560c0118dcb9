using Pacs.Grains;

namespace Pacs.Index.Write;

/// <summary>
/// A new instance, or one replacing <see cref="ObsoleteBlobKey"/>, which is then kept as a 'replaced' copy for
/// <see cref="RetainObsoleteFor"/> (pacs_instance_copies) or, when that is zero, handed back for deletion at once.
/// </summary>
public sealed record IndexedWrite(InstanceRecord Record, string? ObsoleteBlobKey, TimeSpan RetainObsoleteFor = default);
