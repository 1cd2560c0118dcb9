using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.Query;
using Pacs.Grains;
using Pacs.Index.Read;

namespace Pacs.Gateway.Tests;

/// <summary>
/// <see cref="IndexQuery"/> against a real PostgreSQL holding known rows: for each C-FIND identifier the SQL answer
/// (plus post-filtering) must be exactly what <see cref="InMemoryMatcher"/> selects from the same entities.
/// </summary>
[Collection(IndexDatabaseCollection.Name)]
public sealed class IndexQueryTests(IndexDatabaseFixture fixture)
{
    private const string PatientRoot = QueryRetrieveSopClass.PatientRootFind;
    private const string StudyRoot = QueryRetrieveSopClass.StudyRootFind;

    private static readonly DicomTag[] UniqueKeys = [DicomTag.PatientID, DicomTag.StudyInstanceUID, DicomTag.SeriesInstanceUID, DicomTag.SOPInstanceUID];

    public static DicomDataset Identifier(string level, params (DicomTag Tag, DicomVR VR, string Value)[] keys)
    {
        var ds = IndexTestData.Ds(keys);
        ds.SetString(DicomTag.QueryRetrieveLevel, DicomVR.CS, level);
        QueryLevels.TryParse(level, out var l);
        var unique = UniqueKeys[(int)l];
        if (!ds.Contains(unique))
        {
            ds.SetString(unique, unique == DicomTag.PatientID ? DicomVR.LO : DicomVR.UI, "");
        }

        return ds;
    }

    private static DicomQuery Parse(DicomDataset identifier, string sopClass)
    {
        var parsed = DicomQuery.FromIdentifier(identifier, sopClass, relational: false);
        Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
        return parsed.Query;
    }

    private async Task<(List<string> Sql, List<string> Expected)> RunAsync(DicomDataset identifier, string sopClass)
    {
        var query = Parse(identifier, sopClass);
        var unique = QueryAttributes.UniqueKey(query.Level);
        var sql = new List<string>();
        await foreach (var match in new IndexReader(fixture.DataSource).FindAsync(query, CancellationToken.None))
        {
            sql.Add(match.Candidate.GetString(unique)!);
        }

        var expected = fixture.Data.Candidates(query.Level).Where(c => InMemoryMatcher.Matches(query, c.Candidate)).Select(c => c.Key).ToList();
        return (sql.Order(StringComparer.Ordinal).ToList(), expected.Order(StringComparer.Ordinal).ToList());
    }

    public static TheoryData<string, string, (DicomTag, DicomVR, string)[], string[]> Cases => new()
    {
        // name, SOP class, keys, expected unique keys (also checked against the in-memory matcher)
        { "patient name wildcard, case-insensitive", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "doe*")], ["P1", "P3"] },
        { "patient name single value, accent-insensitive", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "MULLER^HANS")], ["P2"] },
        { "patient name given name only", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "^jane")], ["P3"] },
        { "patient name ideographic group", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "山田*")], ["P4"] },
        { "patient name component wildcard", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "D?E^J*")], ["P1", "P3"] },
        // Prefix patterns are bounded per group by the prefix indexes (0180); the rest of the pattern is LIKE's.
        { "patient name prefix, second group", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "田中*")], ["P5"] },
        { "patient name prefix, third group", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "たな*")], ["P5"] },
        { "patient name prefix, lower case and accent folded", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "mü*")], ["P2"] },
        { "patient name prefix then ?", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "yamad?*")], ["P4"] },
        { "patient name prefix, ? inside", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "TA?AKA*")], ["P5"] },
        { "patient name prefix of a whole group", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "TANAKA*")], ["P5"] },
        { "patient name prefix matches no group", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "ICHIROU*")], [] },
        { "patient name leading wildcard (no prefix)", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "*ADA*")], ["P4"] },
        { "patient name leading ? (no prefix)", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "?OE*")], ["P1", "P3"] },
        { "patient name empty value", PatientRoot, [(DicomTag.PatientName, DicomVR.PN, "\"\"")], [] },
        { "patient name prefix at study level", StudyRoot, [(DicomTag.PatientName, DicomVR.PN, "doe*")], ["1.2.3.1", "1.2.3.2", "1.2.3.4"] },
        { "patient id single", PatientRoot, [(DicomTag.PatientID, DicomVR.LO, "P2")], ["P2"] },
        { "issuer of patient id", PatientRoot, [(DicomTag.IssuerOfPatientID, DicomVR.LO, "HOSP")], ["P3"] },
        { "birth date range (legacy spelling post-filtered)", PatientRoot, [(DicomTag.PatientBirthDate, DicomVR.DA, "19800101-19991231")], ["P2", "P4"] },
        { "patient sex", PatientRoot, [(DicomTag.PatientSex, DicomVR.CS, "F")], ["P3"] },

        { "study date range", StudyRoot, [(DicomTag.StudyDate, DicomVR.DA, "20200101-20201231")], ["1.2.3.1", "1.2.3.3", "1.2.3.5"] },
        { "study date open upper", StudyRoot, [(DicomTag.StudyDate, DicomVR.DA, "20201231-")], ["1.2.3.2", "1.2.3.3"] },
        { "study date single", StudyRoot, [(DicomTag.StudyDate, DicomVR.DA, "20200115")], ["1.2.3.1"] },
        { "study time range (post-filter)", StudyRoot, [(DicomTag.StudyTime, DicomVR.TM, "1000-1300")], ["1.2.3.1", "1.2.3.5"] },
        { "combined date and time on a date", StudyRoot, [(DicomTag.StudyDate, DicomVR.DA, "20200115"), (DicomTag.StudyTime, DicomVR.TM, "1000-1100")], ["1.2.3.1"] },
        { "accession wildcard ?", StudyRoot, [(DicomTag.AccessionNumber, DicomVR.SH, "A10?")], ["1.2.3.1", "1.2.3.2"] },
        { "accession empty value", StudyRoot, [(DicomTag.AccessionNumber, DicomVR.SH, "\"\"")], ["1.2.3.3"] },
        { "description is case-sensitive", StudyRoot, [(DicomTag.StudyDescription, DicomVR.LO, "*brain*")], ["1.2.3.4"] },
        { "percent in value is literal", StudyRoot, [(DicomTag.StudyDescription, DicomVR.LO, "*100%")], ["1.2.3.1"] },
        { "underscore in value is literal", StudyRoot, [(DicomTag.StudyDescription, DicomVR.LO, "Chest_*")], ["1.2.3.2"] },
        { "underscore does not match any character", StudyRoot, [(DicomTag.StudyDescription, DicomVR.LO, "Brain_MRI*")], [] },
        { "study uid list", StudyRoot, [(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3.2\\1.2.3.4\\9.9")], ["1.2.3.2", "1.2.3.4"] },
        { "modalities in study, one", StudyRoot, [(DicomTag.ModalitiesInStudy, DicomVR.CS, "CT")], ["1.2.3.2", "1.2.3.4"] },
        { "modalities in study, several", StudyRoot, [(DicomTag.ModalitiesInStudy, DicomVR.CS, "SR\\US")], ["1.2.3.2", "1.2.3.5"] },
        { "referring physician family name", StudyRoot, [(DicomTag.ReferringPhysicianName, DicomVR.PN, "smith")], ["1.2.3.1", "1.2.3.4"] },
        { "referring physician wildcard given name", StudyRoot, [(DicomTag.ReferringPhysicianName, DicomVR.PN, "SMITH^JO?N")], ["1.2.3.1", "1.2.3.4"] },
        { "patient id at study level (study root)", StudyRoot, [(DicomTag.PatientID, DicomVR.LO, "P1")], ["1.2.3.1", "1.2.3.2"] },
        { "patient id as higher key (patient root)", PatientRoot, [(DicomTag.PatientID, DicomVR.LO, "P1"), (DicomTag.StudyDate, DicomVR.DA, "20210101-20211231")], ["1.2.3.2"] },
        { "study id single", StudyRoot, [(DicomTag.StudyID, DicomVR.SH, "S3")], ["1.2.3.3"] },

        { "series of a study by modality", StudyRoot, [(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3.2"), (DicomTag.Modality, DicomVR.CS, "CT")], ["1.2.3.2.1"] },
        { "series number", StudyRoot, [(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3.1"), (DicomTag.SeriesNumber, DicomVR.IS, "2")], ["1.2.3.1.2"] },
        { "series attribute without column (post-filter)", StudyRoot, [(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3.2"), (DicomTag.InstitutionName, DicomVR.LO, "General*")], ["1.2.3.2.1", "1.2.3.2.2"] },
        { "all series of a study", StudyRoot, [(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3.1")], ["1.2.3.1.1", "1.2.3.1.2"] },

        { "instances of a series", StudyRoot, [(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3.2"), (DicomTag.SeriesInstanceUID, DicomVR.UI, "1.2.3.2.1")], ["1.2.3.2.1.1", "1.2.3.2.1.2", "1.2.3.2.1.3"] },
        { "instance number", StudyRoot, [(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3.2"), (DicomTag.SeriesInstanceUID, DicomVR.UI, "1.2.3.2.1"), (DicomTag.InstanceNumber, DicomVR.IS, "2")], ["1.2.3.2.1.2"] },
        { "sop instance uid list", StudyRoot, [(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3.1"), (DicomTag.SeriesInstanceUID, DicomVR.UI, "1.2.3.1.1"), (DicomTag.SOPInstanceUID, DicomVR.UI, "1.2.3.1.1.2\\1.2.3.2.1.1")], ["1.2.3.1.1.2"] },
        { "sop class", StudyRoot, [(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3.2"), (DicomTag.SeriesInstanceUID, DicomVR.UI, "1.2.3.2.2"), (DicomTag.SOPClassUID, DicomVR.UI, IndexTestData.SR)], ["1.2.3.2.2.1"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Find_Identifier_MatchesInMemoryMatcher(string name, string sopClass, (DicomTag, DicomVR, string)[] keys, string[] expected)
    {
        var level = keys.Any(k => k.Item1 == DicomTag.SOPInstanceUID || k.Item1 == DicomTag.InstanceNumber || k.Item1 == DicomTag.SOPClassUID)
                || (keys.Any(k => k.Item1 == DicomTag.SeriesInstanceUID) && !keys.Any(k => k.Item1 == DicomTag.InstitutionName)) ? "IMAGE"
            : keys.Any(k => k.Item1 == DicomTag.Modality || k.Item1 == DicomTag.SeriesNumber || k.Item1 == DicomTag.InstitutionName) || name.StartsWith("all series", StringComparison.Ordinal) ? "SERIES"
            : keys.Any(k => QueryAttributes.LevelOf(k.Item1) is QueryLevel.Study) || sopClass == StudyRoot ? "STUDY"
            : "PATIENT";
        var (sql, reference) = await RunAsync(Identifier(level, keys), sopClass);
        Assert.Equal(expected.Order(StringComparer.Ordinal), reference);
        Assert.Equal(reference, sql);
    }

    [Fact]
    public async Task Find_StudyLevel_ReturnsDerivedCountsAndModalities()
    {
        var query = Parse(Identifier("STUDY", (DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3.2"), (DicomTag.ModalitiesInStudy, DicomVR.CS, ""),
            (DicomTag.NumberOfStudyRelatedSeries, DicomVR.IS, ""), (DicomTag.NumberOfStudyRelatedInstances, DicomVR.IS, ""),
            (DicomTag.StudyDescription, DicomVR.LO, ""), (DicomTag.PatientName, DicomVR.PN, "")), StudyRoot);
        var matches = await ToListAsync(new IndexReader(fixture.DataSource).FindAsync(query, CancellationToken.None));
        var c = Assert.Single(matches).Candidate;
        Assert.Equal(["CT", "SR"], c.GetStrings(DicomTag.ModalitiesInStudy));
        Assert.Equal("2", c.GetString(DicomTag.NumberOfStudyRelatedSeries));
        Assert.Equal("4", c.GetString(DicomTag.NumberOfStudyRelatedInstances));
        Assert.Equal("Chest_CT", c.GetString(DicomTag.StudyDescription));
        Assert.Equal("Doe^John", c.GetString(DicomTag.PatientName));
    }

    [Fact]
    public async Task Find_PatientLevel_CountsRelatedStudiesSeriesInstances()
    {
        var query = Parse(Identifier("PATIENT", (DicomTag.PatientID, DicomVR.LO, "P1")), PatientRoot);
        var c = Assert.Single(await ToListAsync(new IndexReader(fixture.DataSource).FindAsync(query, CancellationToken.None))).Candidate;
        Assert.Equal("2", c.GetString(DicomTag.NumberOfPatientRelatedStudies));
        Assert.Equal("4", c.GetString(DicomTag.NumberOfPatientRelatedSeries));
        Assert.Equal("7", c.GetString(DicomTag.NumberOfPatientRelatedInstances));
    }

    [Fact]
    public void Build_OnlyColumnKeys_PagesInSqlWithoutPostFilter()
    {
        var query = Parse(Identifier("STUDY", (DicomTag.StudyDate, DicomVR.DA, "20200101-"), (DicomTag.PatientName, DicomVR.PN, "DOE*")), StudyRoot);
        var plan = IndexQuery.Build(query);
        Assert.Empty(plan.PostFilterKeys);
        Assert.True(plan.PagedInSql);
        Assert.Contains("s.study_date >=", plan.Sql, StringComparison.Ordinal);
        Assert.Contains("like", plan.Sql, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("smith*", "SMITH", "SMITI")]
    [InlineData("Mü?ler*", "MU", "MV")]
    [InlineData("山田*", "山田", "山由")]
    [InlineData("A\U0010FFFF*", "A\U0010FFFF", "B")] // the last code point cannot be raised: the one before it is
    [InlineData("\uD7FF*", "\uD7FF", "\uE000")] // past the surrogates
    public void Build_PersonNamePrefix_BoundsEveryGroupByTheRangeOfThePrefix(string pattern, string low, string high)
    {
        var query = Parse(Identifier("PATIENT", (DicomTag.PatientName, DicomVR.PN, pattern)), PatientRoot);
        var plan = IndexQuery.Build(query);
        Assert.Equal([low, high], plan.Parameters.Skip(1).Select(p => (string)p.Value!));
        Assert.Equal(3, plan.Sql.Split("~>=~").Length - 1);
        Assert.Equal(3, plan.Sql.Split("~<~").Length - 1);
        Assert.Empty(plan.PostFilterKeys);
    }

    [Fact]
    public void Build_PersonNamePrefixOfOnlyTheHighestCodePoint_HasNoUpperBound()
    {
        var query = Parse(Identifier("PATIENT", (DicomTag.PatientName, DicomVR.PN, "\U0010FFFF*")), PatientRoot);
        var plan = IndexQuery.Build(query);
        Assert.Equal(["\U0010FFFF"], plan.Parameters.Skip(1).Select(p => (string)p.Value!));
        Assert.DoesNotContain("~<~", plan.Sql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Find_PersonNamePrefix_ServedByThePrefixIndexes()
    {
        // The statement as prepared (parameters, a generic plan): every group's range is an index condition, so no
        // patient row is read that does not start with the prefix in some group.
        var query = Parse(Identifier("STUDY", (DicomTag.PatientName, DicomVR.PN, "SMITH*")), StudyRoot);
        var plan = IndexQuery.Build(query);
        var sql = plan.Sql;
        for (var i = plan.Parameters.Count - 1; i >= 0; i--)
        {
            sql = sql.Replace("@" + plan.Parameters[i].ParameterName, "$" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        var values = string.Join(", ", plan.Parameters.Select(p => "'" + (string)p.Value! + "'"));
        var types = string.Join(", ", plan.Parameters.Select(_ => "text"));
        await using var connection = await fixture.DataSource.OpenConnectionAsync();
        await using (var prepare = new NpgsqlCommand($"set enable_seqscan = off; set plan_cache_mode = force_generic_plan; prepare find_prefix({types}) as {sql}", connection))
        {
            await prepare.ExecuteNonQueryAsync();
        }

        var lines = new List<string>();
        await using (var explain = new NpgsqlCommand($"explain execute find_prefix({values})", connection))
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }
        }

        await using (var reset = new NpgsqlCommand("deallocate find_prefix; reset enable_seqscan; reset plan_cache_mode", connection))
        {
            await reset.ExecuteNonQueryAsync();
        }

        var text = string.Join("\n", lines);
        Assert.DoesNotContain("Seq Scan on pacs_patients", text, StringComparison.Ordinal);
        Assert.Contains("pacs_patients_name_group2_prefix", text, StringComparison.Ordinal);
        Assert.Contains("pacs_patients_name_group3_prefix", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Find_StudyLevel_CandidateHoldsTheRequestedKeysOnly()
    {
        // PS3.4 C.4.1.1.3.2: the response carries the requested keys; the candidate is read for those, not whole.
        var query = Parse(Identifier("STUDY", (DicomTag.PatientName, DicomVR.PN, "MÜLLER*"), (DicomTag.StudyDate, DicomVR.DA, "")), StudyRoot);
        var c = Assert.Single(await ToListAsync(new IndexReader(fixture.DataSource).FindAsync(query, CancellationToken.None))).Candidate;
        Assert.Equal("Müller^Hans", c.GetString(DicomTag.PatientName));
        Assert.Equal("20201231", c.GetString(DicomTag.StudyDate));
        Assert.Equal("1.2.3.3", c.GetString(DicomTag.StudyInstanceUID));
        Assert.Equal("ISO_IR 192", c.GetString(DicomTag.SpecificCharacterSet)); // the values are Unicode
        Assert.False(c.Contains(DicomTag.StudyDescription));
        Assert.False(c.Contains(DicomTag.PatientSex));
    }

    [Fact]
    public async Task Find_IncludeAll_CandidateHoldsEveryAttribute()
    {
        var parsed = DicomQuery.FromQido(QueryLevel.Study, [new("StudyInstanceUID", "1.2.3.3"), new("includefield", "all")]);
        Assert.True(parsed.IsSuccess);
        var c = Assert.Single(await ToListAsync(new IndexReader(fixture.DataSource).FindAsync(parsed.Query!, CancellationToken.None))).Candidate;
        Assert.Equal("Knee", c.GetString(DicomTag.StudyDescription));
        Assert.Equal("M", c.GetString(DicomTag.PatientSex));
        Assert.Equal("19851231", c.GetString(DicomTag.PatientBirthDate));
    }

    [Fact]
    public void Build_WildcardValue_EscapesLikeMetacharacters()
    {
        var query = Parse(Identifier("STUDY", (DicomTag.StudyDescription, DicomVR.LO, "50%_off*")), StudyRoot);
        var plan = IndexQuery.Build(query);
        var p = Assert.Single(plan.Parameters);
        Assert.Equal("50\\%\\_off%", p.Value);
    }

    [Fact]
    public async Task GetInstances_StudyLevelRetrieve_ReturnsEveryInstanceOfTheStudy()
    {
        var query = Parse(Identifier("STUDY", (DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3.2")), QueryRetrieveSopClass.StudyRootMove);
        var instances = await new IndexReader(fixture.DataSource).GetInstancesAsync(query, CancellationToken.None);
        Assert.Equal(["1.2.3.2.1.1", "1.2.3.2.1.2", "1.2.3.2.1.3", "1.2.3.2.2.1"], instances.Select(i => i.SopInstanceUid).Order(StringComparer.Ordinal));
        Assert.All(instances, i => Assert.Equal("blobs/" + i.SopInstanceUid, i.BlobKey));
    }

    [Fact]
    public async Task GetInstances_PatientLevelRetrieve_ReturnsEveryInstanceOfThePatient()
    {
        var query = Parse(Identifier("PATIENT", (DicomTag.PatientID, DicomVR.LO, "P1")), QueryRetrieveSopClass.PatientRootGet);
        var instances = await new IndexReader(fixture.DataSource).GetInstancesAsync(query, CancellationToken.None);
        Assert.Equal(7, instances.Count);
        Assert.Equal(["1.2.3.1", "1.2.3.2"], instances.Select(i => i.StudyInstanceUid).Distinct().Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("1.2.3.2", "1.2.3.2.1", "1.2.3.2.1.2")] // the middle of three by Instance Number
    [InlineData("1.2.3.2", null, "1.2.3.2.1.2")] // the study's first series by Series Number (1, not the SR's 99)
    [InlineData("1.2.3.1", null, "1.2.3.1.1.1")] // two instances: the first of them
    public async Task GetRepresentative_SeriesOrStudy_IsTheMiddleInstance(string study, string? series, string expected)
    {
        var found = await new IndexReader(fixture.DataSource).GetRepresentativeAsync(study, series, CancellationToken.None);
        Assert.Equal(expected, found?.SopInstanceUid);
        Assert.Equal("blobs/" + expected, found?.BlobKey);
    }

    [Fact]
    public async Task GetRepresentative_UnknownSeries_IsNull() =>
        Assert.Null(await new IndexReader(fixture.DataSource).GetRepresentativeAsync("1.2.3.2", "9.9.9", CancellationToken.None));

    [Fact]
    public async Task IndexReader_DatabaseUnreachable_ThrowsArchiveIndexException()
    {
        // Nothing listens on port 1 of the loopback: the connection is refused at once.
        await using var down = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=5");
        var query = Parse(Identifier("STUDY", (DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3.2")), QueryRetrieveSopClass.StudyRootMove);
        var e = await Assert.ThrowsAsync<ArchiveIndexException>(() => new IndexReader(down).GetInstancesAsync(query, CancellationToken.None));
        Assert.IsAssignableFrom<NpgsqlException>(e.InnerException);
        await Assert.ThrowsAsync<ArchiveIndexException>(() => ToListAsync(new IndexReader(down).FindAsync(query, CancellationToken.None)));
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var x in source)
        {
            list.Add(x);
        }

        return list;
    }
}
