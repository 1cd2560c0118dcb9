using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom;
using Pacs.Dicom.Query;

namespace Pacs.Index.Read;

internal readonly record struct IndexColumn(QueryLevel Level, string Sql, ColumnKind Kind);
