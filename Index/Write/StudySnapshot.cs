using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom.Query;
using Pacs.Grains;

namespace Pacs.Index.Write;

/// <summary>What the index holds for a study when its grain activates.</summary>
public sealed record StudySnapshot(
    bool Exists,
    IReadOnlyDictionary<string, StoredInstance> Instances,
    IReadOnlyDictionary<string, string> SeriesModalities,
    PatientDemographics? Patient);
