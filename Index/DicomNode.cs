using Npgsql;

namespace Pacs.Index;

/// <summary>A DICOM node the archive sends to (C-MOVE destination, PS3.4 C.4.2.2.1), as kept in pacs_nodes.</summary>
public sealed record DicomNode(string AeTitle, string Host, int Port, string Description = "");
