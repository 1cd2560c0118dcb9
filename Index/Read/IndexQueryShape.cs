using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom;
using Pacs.Dicom.Query;

namespace Pacs.Index.Read;

/// <summary>What a query over the index reads back per row.</summary>
public enum IndexQueryShape
{
    /// <summary>The merged DICOM JSON of the entity and its parents plus derived counts: C-FIND and QIDO responses.</summary>
    Candidates,

    /// <summary>Instance locations (SOP class, SOP instance, transfer syntax, blob key): C-MOVE, C-GET and WADO.</summary>
    Instances,
}
