namespace Pacs.Loadtests.ReadersLoad;

/// <summary>
/// A whole run: log in, find the studies (or take them from the catalogue file, see
/// <see cref="Catalogue.LoadOrDiscoverAsync"/>), plan each, sample the processes, replay until the duration is over or
/// the stop token fires, report.
/// </summary>
internal static class ReadersLoadRunner
{
    public static async Task<RunReport> RunAsync(string label, LoadSettings settings, SessionRecording recording, int maxStudies, string? modalities,
        string? user, string? password, Uri? loginUrl, IReadOnlyDictionary<string, IReadOnlyList<int>> pids, string? cataloguePath,
        CancellationToken stopStarting, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(120) };
        loginUrl ??= user is null ? null : new Uri(new Uri(settings.Bases[0].GetLeftPart(UriPartial.Authority)), "/auth/token");
        var tokens = new TokenSource(http, loginUrl, user, password);
        using var catalogueHttp = new HttpClient(new AuthorizingHandler(tokens)) { Timeout = TimeSpan.FromSeconds(120) };
        var catalogue = cataloguePath is null
            ? await Catalogue.DiscoverAsync(catalogueHttp, settings.Bases[0], maxStudies, modalities, cancellationToken)
            : await Catalogue.LoadOrDiscoverAsync(cataloguePath, catalogueHttp, settings.Bases[0], maxStudies, modalities, cancellationToken);
        if (catalogue.Count == 0)
        {
            throw new InvalidOperationException($"no study with images at {settings.Bases[0]}");
        }

        var plans = catalogue.Select(s => (IReadOnlyList<PlannedRequest>)ReplayPlan.For(recording, s)).ToList();

        // One session per reader, as 50 viewers signed in are 50 sessions (the gateway's read admission takes turns over
        // sessions; with one token shared, all readers were one reader to it). All sign in before the clock starts: a
        // login (Argon2id) is not part of opening a study.
        var sessions = new TokenSource[settings.Readers];
        for (var r = 0; r < sessions.Length; r++)
        {
            sessions[r] = new TokenSource(http, loginUrl, user, password);
            await sessions[r].HeaderAsync(cancellationToken);
        }

        var run = new LoadRun(settings, catalogue, plans, reader => sessions[reader]);
        await using var sampler = new ProcessSampler(pids, TimeSpan.FromMilliseconds(250));
        sampler.Start();
        var started = DateTime.UtcNow;
        await run.RunAsync(stopStarting, cancellationToken);
        var usage = await sampler.StopAsync();
        return RunReport.From(label, settings, catalogue, started, run, usage);
    }

    /// <summary>Adds the bearer token (if any) to the catalogue's QIDO requests.</summary>
    private sealed class AuthorizingHandler(TokenSource tokens) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization ??= await tokens.HeaderAsync(cancellationToken);
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
