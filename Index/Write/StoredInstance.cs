using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom.Query;
using Pacs.Grains;

namespace Pacs.Index.Write;

/// <summary>One indexed instance as the study grain keeps it in memory; <paramref name="ContentHashAlgorithm"/> names how <paramref name="ContentHash"/> was made.</summary>
public readonly record struct StoredInstance(string SeriesInstanceUid, string SopClassUid, byte[] ContentHash, string ContentHashAlgorithm, string BlobKey);
