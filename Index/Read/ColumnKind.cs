using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom;
using Pacs.Dicom.Query;

namespace Pacs.Index.Read;

internal enum ColumnKind
{
    /// <summary>Trimmed text (CS, LO, SH, UI...): equality, LIKE, lists.</summary>
    Text,
    /// <summary>A *_search column holding <see cref="PersonNameSearch.Normalize"/>.</summary>
    PersonName,
    /// <summary>A date column (DA parsed; null when absent or unparseable).</summary>
    Date,
    /// <summary>A DA kept as text.</summary>
    DateText,
    Integer,
    /// <summary>text[] of derived multi-valued attributes (ModalitiesInStudy, SOPClassesInStudy).</summary>
    TextArray,
}
