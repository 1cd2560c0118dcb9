using System.Globalization;
using System.Runtime.CompilerServices;
using Pacs.Dicom.IO;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>
/// dcmtk's findscu at every level of both query models, with every matching kind, against a C-FIND SCP holding
/// known data (<see cref="KnownDataFindProvider"/>): the responses findscu writes are read back and compared exactly.
/// </summary>
public sealed class FindScuMatchingTests
{
    /// <summary>
    /// model (-P/-S), level, "-k" keys separated by '|', the unique keys of the expected matches (in any order).
    /// The level's unique key is always requested as a return key.
    /// </summary>
    public static TheoryData<string, string, string, string> Cases => new()
    {
        // PATIENT (Patient Root only)
        { "-P", "PATIENT", "PatientName", "PID1,PID2,PID3" },                                   // universal
        { "-P", "PATIENT", "PatientID=PID2|PatientName", "PID2" },                              // single value
        { "-P", "PATIENT", "PatientName=Doe*", "PID1,PID2" },                                   // wildcard *
        { "-P", "PATIENT", "PatientID=PID?|PatientName=*^J*", "PID1,PID2" },                    // wildcard ? and *
        { "-P", "PATIENT", "PatientName=smith^anna", "PID3" },                                  // PN case-insensitive
        { "-P", "PATIENT", "PatientBirthDate=19600101-19701231|PatientName", "PID2" },           // closed date range
        { "-P", "PATIENT", "PatientBirthDate=-19551231", "PID1" },                              // open (upper) range
        { "-P", "PATIENT", "PatientBirthDate=19700101-", "PID3" },                              // open (lower) range
        // STUDY
        { "-S", "STUDY", "StudyDate=20210101-20211231|PatientName", "S2,S3" },                  // closed date range
        { "-S", "STUDY", "StudyDate=20211231-|StudyDescription", "S4" },                         // open range
        { "-S", "STUDY", "StudyDate=-20201231", "S1" },                                         // open range
        { "-S", "STUDY", "StudyInstanceUID=1.2.826.0.1.3680043.10.999.1\\1.2.826.0.1.3680043.10.999.4", "S1,S4" }, // UID list
        { "-S", "STUDY", "StudyDate=20210610", "S2" },                                          // single date
        { "-S", "STUDY", "PatientName=DOE^*|AccessionNumber=ACC?", "S1,S2,S3" },                 // wildcards, PN case
        { "-S", "STUDY", "ModalitiesInStudy=MR|StudyDate", "S2" },                               // multi-valued candidate
        { "-S", "STUDY", "StudyDescription=*CHEST*", "S1" },                                    // wildcard inside
        { "-P", "STUDY", "PatientID=PID1|StudyDate", "S1,S2" },                                 // hierarchical below PATIENT
        // SERIES
        { "-S", "SERIES", "StudyInstanceUID=1.2.826.0.1.3680043.10.999.1|Modality=CT", "SE1,SE2" },
        { "-S", "SERIES", "StudyInstanceUID=1.2.826.0.1.3680043.10.999.1|SeriesNumber=2", "SE2" },
        { "-P", "SERIES", "PatientID=PID2|StudyInstanceUID=1.2.826.0.1.3680043.10.999.3|Modality", "SE4,SE5" },
        { "-S", "SERIES", "StudyInstanceUID=1.2.826.0.1.3680043.10.999.3|Modality=S?", "SE5" },
        // IMAGE
        { "-S", "IMAGE", "StudyInstanceUID=1.2.826.0.1.3680043.10.999.3|SeriesInstanceUID=1.2.826.0.1.3680043.10.999.3.4", "I6,I7,I8" },
        { "-S", "IMAGE", "StudyInstanceUID=1.2.826.0.1.3680043.10.999.3|SeriesInstanceUID=1.2.826.0.1.3680043.10.999.3.4|SOPInstanceUID=1.2.826.0.1.3680043.10.999.3.4.6\\1.2.826.0.1.3680043.10.999.3.4.8", "I6,I8" },
        { "-P", "IMAGE", "PatientID=PID3|StudyInstanceUID=1.2.826.0.1.3680043.10.999.4|SeriesInstanceUID=1.2.826.0.1.3680043.10.999.4.6|InstanceNumber=2", "I11" },
        { "-S", "IMAGE", "StudyInstanceUID=1.2.826.0.1.3680043.10.999.2|SeriesInstanceUID=1.2.826.0.1.3680043.10.999.2.3|InstanceNumber", "I4,I5" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task FindScu_LevelAndMatchingKind_ReturnsExactlyTheKnownMatches(string model, string level, string keys, string expected)
    {
        var find = new KnownDataFindProvider();
        await using var server = StartServer(new DicomServiceProviders { Find = find });
        var dir = TempDir();
        try
        {
            var uniqueTag = QueryAttributes.UniqueKey(QueryLevels.TryParse(level, out var l) ? l : throw new ArgumentException(level));
            var args = new List<string> { model, "-X", "-od", dir, "-aec", "ARCHIVE", "127.0.0.1", server.Port.ToString(CultureInfo.InvariantCulture),
                "-k", "QueryRetrieveLevel=" + level };
            foreach (var k in keys.Split('|'))
            {
                args.AddRange(["-k", k]);
            }

            if (!keys.Split('|').Any(k => k.Split('=')[0] == KeywordOf(uniqueTag)))
            {
                args.AddRange(["-k", KeywordOf(uniqueTag)]);
            }

            var r = await RunAsync("findscu", args);
            Assert.True(r.ExitCode == 0, r.Output);
            Assert.Empty(find.Errors);

            var responses = Directory.GetFiles(dir, "rsp*.dcm").Order(StringComparer.Ordinal)
                .Select(f => DicomReader.ReadFile(File.ReadAllBytes(f)).Dataset).ToList();
            var expectedKeys = expected.Split(',').Select(KnownDataFindProvider.Resolve).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expectedKeys, responses.Select(x => x.GetString(uniqueTag) ?? "").Order(StringComparer.Ordinal).ToList());

            // Each response carries exactly the requested keys (plus the level), with the entity's values.
            var requested = args.Where((a, i) => i > 0 && args[i - 1] == "-k").Select(a => a.Split('=')[0]).ToHashSet();
            foreach (var response in responses)
            {
                var entity = find.Entity(l, response.GetString(uniqueTag)!);
                Assert.Equal(level, response.GetString(QueryTags.QueryRetrieveLevel));
                Assert.Equal(requested.Order(StringComparer.Ordinal), response.Where(e => !e.Tag.IsGroupLength).Select(e => KeywordOf(e.Tag)).Order(StringComparer.Ordinal));
                foreach (var e in response)
                {
                    if (e.Tag == QueryTags.QueryRetrieveLevel || e.Tag.IsGroupLength)
                    {
                        continue;
                    }

                    Assert.True((entity.GetString(e.Tag) ?? "") == (response.GetString(e.Tag) ?? ""),
                        $"{KeywordOf(e.Tag)}: '{response.GetString(e.Tag)}' returned, '{entity.GetString(e.Tag)}' held");
                }
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    // PS3.4 C.4.1.3.1: a hierarchical SERIES query must fix the study by a single StudyInstanceUID.
    [InlineData("-S", "QueryRetrieveLevel=SERIES|Modality=CT", "a900")]
    // PS3.4 C.6.2.1: the Study Root model has no PATIENT level.
    [InlineData("-S", "QueryRetrieveLevel=PATIENT|PatientID", "a900")]
    // A hierarchical IMAGE query with a UID list for the series (relational queries were not negotiated).
    [InlineData("-S", "QueryRetrieveLevel=IMAGE|StudyInstanceUID=1.2.826.0.1.3680043.10.999.3|SeriesInstanceUID=1.2.3\\1.2.4", "a900")]
    // A date that is no date: unable to process.
    [InlineData("-S", "QueryRetrieveLevel=STUDY|StudyDate=2021AB01", "c000")]
    public async Task FindScu_InvalidIdentifier_FailsWithStatusAndNoMatches(string model, string keys, string status)
    {
        var find = new KnownDataFindProvider();
        await using var server = StartServer(new DicomServiceProviders { Find = find });
        var dir = TempDir();
        try
        {
            var args = new List<string> { model, "-d", "-X", "-od", dir, "-aec", "ARCHIVE", "127.0.0.1", server.Port.ToString(CultureInfo.InvariantCulture) };
            foreach (var k in keys.Split('|'))
            {
                args.AddRange(["-k", k]);
            }

            var r = await RunAsync("findscu", args);
            Assert.Empty(Directory.GetFiles(dir, "rsp*.dcm"));
            // findscu -d dumps the final response's command set: status, Error Comment and, where a key is at fault,
            // Offending Element (PS3.7 C.4.1.1.4).
            Assert.True(r.Output.Contains($"DIMSE Status                  : 0x{status}: ", StringComparison.Ordinal), r.Output);
            Assert.Contains("ErrorComment", r.Output, StringComparison.Ordinal);
            if (keys.Contains('=', StringComparison.Ordinal) && !keys.EndsWith("Modality=CT", StringComparison.Ordinal))
            {
                Assert.Contains("OffendingElement", r.Output, StringComparison.Ordinal);
            }

            Assert.Single(find.Errors);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static string KeywordOf(DicomTag tag) => Pacs.Dicom.Dictionary.DicomDictionary.GetKeyword(tag)
        ?? throw new InvalidOperationException($"no keyword for {tag}");
}

/// <summary>
/// A C-FIND SCP over 3 patients, 4 studies, 6 series and 12 instances held in memory: the identifier becomes a
/// <see cref="DicomQuery"/>, each entity of the queried level is matched by <see cref="InMemoryMatcher"/>, and the
/// matches are projected onto the return keys.
/// </summary>
internal sealed class KnownDataFindProvider : ICFindProvider
{
    private const string Root = "1.2.826.0.1.3680043.10.999";

    /// <summary>One flat record per instance with the attributes of its patient, study and series.</summary>
    private static readonly List<DicomDataset> Instances = Build();

    public System.Collections.Concurrent.ConcurrentQueue<QueryError> Errors { get; } = new();

    /// <summary>Short names in test cases (PID1, S2, SE4, I6) to the values held.</summary>
    public static string Resolve(string shortName) => shortName switch
    {
        ['P', 'I', 'D', ..] => shortName,
        ['S', 'E', .. var n] => Instances.Select(i => i.GetString(DicomTag.SeriesInstanceUID)!).First(u => u.EndsWith("." + n, StringComparison.Ordinal) && u.Count(c => c == '.') == Root.Count(c => c == '.') + 2),
        ['S', .. var n] => $"{Root}.{n}",
        ['I', .. var n] => Instances.Select(i => i.GetString(DicomTag.SOPInstanceUID)!).First(u => u.EndsWith("." + n, StringComparison.Ordinal)),
        _ => throw new ArgumentException(shortName),
    };

    private static List<DicomDataset> Build()
    {
        var patients = new[]
        {
            (Id: "PID1", Name: "Doe^John", Birth: "19500101"),
            (Id: "PID2", Name: "Doe^Jane", Birth: "19620303"),
            (Id: "PID3", Name: "Smith^Anna", Birth: "19801231"),
        };
        // study number, patient, date, description, accession, modalities
        var studies = new[]
        {
            (N: 1, Patient: 0, Date: "20200115", Description: "CT CHEST", Accession: "ACC1", Modalities: "CT"),
            (N: 2, Patient: 0, Date: "20210610", Description: "MR HEAD", Accession: "ACC2", Modalities: "MR"),
            (N: 3, Patient: 1, Date: "20210612", Description: "CT ABDOMEN", Accession: "ACC3", Modalities: "CT\\SR"),
            (N: 4, Patient: 2, Date: "20220301", Description: "US NECK", Accession: "ACC44", Modalities: "US"),
        };
        // series number (global), study, number in study, modality, instance count
        var series = new[]
        {
            (N: 1, Study: 1, Number: 1, Modality: "CT", Count: 2),
            (N: 2, Study: 1, Number: 2, Modality: "CT", Count: 1),
            (N: 3, Study: 2, Number: 1, Modality: "MR", Count: 2),
            (N: 4, Study: 3, Number: 1, Modality: "CT", Count: 3),
            (N: 5, Study: 3, Number: 2, Modality: "SR", Count: 1),
            (N: 6, Study: 4, Number: 1, Modality: "US", Count: 3),
        };
        var result = new List<DicomDataset>();
        var instanceNumber = 0;
        foreach (var se in series)
        {
            var st = studies[se.Study - 1];
            var p = patients[st.Patient];
            for (var i = 1; i <= se.Count; i++)
            {
                instanceNumber++;
                var ds = new DicomDataset();
                ds.SetString(DicomTag.PatientName, DicomVR.PN, p.Name);
                ds.SetString(DicomTag.PatientID, DicomVR.LO, p.Id);
                ds.SetString(DicomTag.PatientBirthDate, DicomVR.DA, p.Birth);
                ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, $"{Root}.{st.N}");
                ds.SetString(DicomTag.StudyDate, DicomVR.DA, st.Date);
                ds.SetString(DicomTag.StudyDescription, DicomVR.LO, st.Description);
                ds.SetString(DicomTag.AccessionNumber, DicomVR.SH, st.Accession);
                ds.SetString(new DicomTag(0x00080061), DicomVR.CS, st.Modalities);
                ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, $"{Root}.{st.N}.{se.N}");
                ds.SetString(DicomTag.Modality, DicomVR.CS, se.Modality);
                ds.SetString(DicomTag.SeriesNumber, DicomVR.IS, se.Number.ToString(CultureInfo.InvariantCulture));
                ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, $"{Root}.{st.N}.{se.N}.{instanceNumber}");
                ds.SetString(DicomTag.SOPClassUID, DicomVR.UI, NetworkTestKit.CTImageStorage);
                ds.SetString(DicomTag.InstanceNumber, DicomVR.IS, i.ToString(CultureInfo.InvariantCulture));
                result.Add(ds);
            }
        }
        return result;
    }

    /// <summary>The entities of a level, each a flat data set with its own and its parents' attributes.</summary>
    public static IEnumerable<DicomDataset> Entities(QueryLevel level)
    {
        var unique = QueryAttributes.UniqueKey(level);
        foreach (var group in Instances.GroupBy(i => i.GetString(unique)))
        {
            var entity = new DicomDataset();
            foreach (var e in group.First())
            {
                if (QueryAttributes.LevelOf(e.Tag) is { } l && l <= level)
                {
                    entity.Set(e);
                }
            }

            yield return entity;
        }
    }

    public DicomDataset Entity(QueryLevel level, string uniqueKey) =>
        Entities(level).Single(e => e.GetString(QueryAttributes.UniqueKey(level)) == uniqueKey);

    public async IAsyncEnumerable<DicomDataset> OnCFindAsync(CFindRequest request, AssociationInfo association, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var parsed = DicomQuery.FromIdentifier(request.Identifier, request.AffectedSopClassUid, relational: false);
        if (!parsed.IsSuccess)
        {
            Errors.Enqueue(parsed.Error);
            throw new DimseStatusException(new DimseStatus(parsed.Error.DimseStatus, parsed.Error.Message, parsed.Error.OffendingElement));
        }
        var query = parsed.Query;
        foreach (var entity in Entities(query.Level))
        {
            if (!InMemoryMatcher.Matches(query, entity))
            {
                continue;
            }

            var response = InMemoryMatcher.Project(query, entity);
            // PS3.4 C.4.1.1.3.2: the response carries the Query/Retrieve Level; Project leaves it to the caller.
            response.SetString(QueryTags.QueryRetrieveLevel, DicomVR.CS, query.Level.ToCode());
            await Task.Yield();
            yield return response;
        }
    }
}
