using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.Json;
using Pacs.Dicom.Query;
using Pacs.Grains;

namespace Pacs.Index.Read;

/// <summary>Where an instance's bytes are: what C-MOVE, C-GET (and WADO) need to send it.</summary>
public sealed record IndexedInstance(string StudyInstanceUid, string SeriesInstanceUid, string SopInstanceUid, string SopClassUid, string TransferSyntaxUid, string BlobKey);
