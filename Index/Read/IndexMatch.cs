using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.Json;
using Pacs.Dicom.Query;
using Pacs.Grains;

namespace Pacs.Index.Read;

/// <summary>
/// One entity that matched a query: its attributes and those of its parents as one flat data set (what
/// <see cref="InMemoryMatcher"/> calls the candidate), with the index's derived attributes filled in. Below IMAGE level
/// and without includefield=all the candidate holds only what the query needs (<see cref="IndexQuery.Projection"/>):
/// its return keys, the keys checked on it, and the unique keys of its level.
/// </summary>
public sealed record IndexMatch(QueryLevel Level, DicomDataset Candidate, string? StudyInstanceUid, string? SeriesInstanceUid, string? SopInstanceUid);
