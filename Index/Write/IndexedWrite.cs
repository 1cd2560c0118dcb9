using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom.Query;
using Pacs.Grains;

namespace Pacs.Index.Write;

/// <summary>A new instance, or one replacing <see cref="ObsoleteBlobKey"/>.</summary>
public sealed record IndexedWrite(InstanceRecord Record, string? ObsoleteBlobKey);
