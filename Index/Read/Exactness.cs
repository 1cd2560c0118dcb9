using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom;
using Pacs.Dicom.Query;

namespace Pacs.Index.Read;

/// <summary>Whether the SQL of a key says all (true) or only narrows and leaves the rest to the candidate.</summary>
internal sealed class Exactness
{
    public bool Value = true;
}
