using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom.Query;
using Pacs.Grains;

namespace Pacs.Index.Write;

public sealed record SeriesSummary(string SeriesInstanceUid, SeriesAttributes Attributes, int NumberOfInstances);
