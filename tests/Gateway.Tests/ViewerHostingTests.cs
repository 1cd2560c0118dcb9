using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Viewer;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The viewer endpoints of the gateway on Kestrel (loopback), serving the real OHIF dist/ that ./pacs installs, next
/// to a stand-in API route that must keep precedence over the catch-all.
/// </summary>
public sealed class ViewerHostingFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public HttpClient Http { get; } = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
    public IServiceProvider Services => _app!.Services;
    public IReadOnlyList<RouteEndpoint> Endpoints { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddArchivePolicies();
        builder.Services.AddAuthentication(TestRoleAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TestRoleAuthenticationHandler>(TestRoleAuthenticationHandler.SchemeName, null);
        builder.Services.AddViewer();
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapGet("/dicom-web/studies", () => Results.Text("[]", "application/dicom+json")).RequireAuthorization(Policies.Read);
        _app.MapViewer();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Http.BaseAddress = new Uri(address);
        Http.DefaultRequestHeaders.Add(TestRoleAuthenticationHandler.Header, "doctor");
        Endpoints = [.. _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

public sealed class ViewerHostingTests(ViewerHostingFixture fixture) : IClassFixture<ViewerHostingFixture>
{
    private HttpClient Http => fixture.Http;

    private static void AssertIsolated(HttpResponseMessage response)
    {
        Assert.Equal("same-origin", Single(response, "Cross-Origin-Opener-Policy"));
        Assert.Equal("require-corp", Single(response, "Cross-Origin-Embedder-Policy"));
    }

    private static string Single(HttpResponseMessage response, string header) =>
        response.Headers.TryGetValues(header, out var values) ? values.Single() : "";

    private static async Task<string> IndexHtmlAsync() =>
        await File.ReadAllTextAsync(FixtureFiles.IndexPath);

    private static readonly ViewerFiles FixtureFiles = new(ViewerFiles.ResolveRoot(new ViewerOptions()));

    [Fact]
    public void ViewerFiles_BuildTree_HoldsTheInstalledOhifDist()
    {
        Assert.True(FixtureFiles.Installed, $"OHIF is not installed under {FixtureFiles.Root}: ./pacs test installs it first");
        Assert.EndsWith(Path.Combine("@ohif", "app", "dist"), FixtureFiles.Root);
    }

    [Fact]
    public async Task Root_Get_ServesIndexHtmlIsolatedAndNotStored()
    {
        using var response = await Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore);
        AssertIsolated(response);
        Assert.Equal(await IndexHtmlAsync(), await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/viewer?StudyInstanceUIDs=1.2.3")]
    [InlineData("/viewer/?StudyInstanceUIDs=1.2.3")]
    [InlineData("/viewer?studyinstanceuids=1.2.3")]
    [InlineData("/viewer/dicomweb?StudyInstanceUIDs=1.2.3&SeriesInstanceUIDs=1.2.3.4")]
    [InlineData("/segmentation")]
    [InlineData("/local")]
    [InlineData("/no/such/file.js")]
    public async Task ClientRoute_Get_FallsBackToIndexHtml(string path)
    {
        using var response = await Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        AssertIsolated(response);
        Assert.Equal(await IndexHtmlAsync(), await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/viewer")]
    [InlineData("/viewer/")]
    [InlineData("/viewer/dicomweb")]
    [InlineData("/Viewer/?StudyInstanceUIDs=")]
    [InlineData("/viewer?SeriesInstanceUIDs=1.2.3.4")]
    public async Task ViewerRoute_WithoutStudy_RedirectsToTheStudyList(string path)
    {
        using var response = await Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("/dicom-web")]
    [InlineData("/dicom-web/nothing-here")]
    [InlineData("/DICOM-WEB/studies/1.2.3/unknown")]
    [InlineData("/wado")]
    [InlineData("/api/unknown")]
    [InlineData("/health/unknown")]
    public async Task ApiPath_Unmapped_Is404NotIndexHtml(string path)
    {
        using var response = await Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("<html", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ApiRoute_Mapped_TakesPrecedenceOverCatchAll()
    {
        using var response = await Http.GetAsync("/dicom-web/studies");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/dicom+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AppConfig_Get_IsGeneratedForThisGatewayAndNotStored()
    {
        using var response = await Http.GetAsync("/app-config.js");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("qidoRoot: \"/dicom-web\"", body);
        Assert.DoesNotContain("cloudfront", body);
        Assert.NotEqual(await File.ReadAllTextAsync(Path.Combine(FixtureFiles.Root, "app-config.js")), body);
    }

    [Fact]
    public async Task HashedChunk_Get_ImmutableJavaScript()
    {
        var bundle = Path.GetFileName(Directory.GetFiles(FixtureFiles.Root, "app.bundle.*.js").Single());
        using var response = await Http.GetAsync("/" + bundle);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ViewerFiles.ImmutableCaching, response.Headers.CacheControl?.ToString());
        Assert.Equal(new FileInfo(Path.Combine(FixtureFiles.Root, bundle)).Length, response.Content.Headers.ContentLength);
        AssertIsolated(response);
    }

    [Fact]
    public async Task Wasm_Get_ServedAsApplicationWasm()
    {
        var wasm = Directory.GetFiles(FixtureFiles.Root, "*.wasm").First();
        using var response = await Http.GetAsync("/" + Path.GetFileName(wasm));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/wasm", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ViewerFiles.ImmutableCaching, response.Headers.CacheControl?.ToString());
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("\0asm"u8.ToArray(), bytes[..4]);
    }

    [Fact]
    public async Task NestedWasm_Get_ServedAsApplicationWasm()
    {
        using var response = await Http.GetAsync("/ort/ort-wasm.wasm");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/wasm", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task UnhashedFile_GetWithItsETag_RevalidatesTo304()
    {
        using var first = await Http.GetAsync("/manifest.json");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(first.Headers.CacheControl?.NoCache);
        Assert.NotNull(first.Headers.ETag);

        using var again = new HttpRequestMessage(HttpMethod.Get, "/manifest.json");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag);
        using var second = await Http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Fact]
    public async Task Head_Root_AnswersWithoutBody()
    {
        using var response = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Post_Root_IsNotTheViewer()
    {
        using var response = await Http.PostAsync("/", new StringContent(""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public void AppConfig_Endpoint_RequiresTheReadPolicy()
    {
        var endpoint = Assert.Single(fixture.Endpoints, e => e.RoutePattern.RawText is "/app-config.js");
        Assert.Contains(endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>(), a => a.Policy == Policies.Read);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/viewer?StudyInstanceUIDs=1.2.3")]
    [InlineData("/app-config.js")]
    [InlineData("/manifest.json")]
    public async Task ViewerFile_WithoutSession_Unauthorized(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var anonymous = new HttpClient { BaseAddress = Http.BaseAddress };
        using var response = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("<html", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AppConfig_Get_CarriesTheSessionScript()
    {
        using var response = await Http.GetAsync("/app-config.js");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("/login?returnUrl=", body);
        Assert.Contains("/auth/logout", body);
    }

    [Theory]
    [InlineData("app.bundle.0f6159c501addfe9.js", true)]
    [InlineData("1602.bundle.94f12cceab7c2762.js", true)]
    [InlineData("5130ccb17e3f3f5b.wasm", true)]
    [InlineData("a34f9d1faa5f3315.woff2", true)]
    [InlineData("1602.css", false)]
    [InlineData("app-config.js", false)]
    [InlineData("es6-shim.min.js", false)]
    [InlineData("ort-wasm.wasm", false)]
    [InlineData("manifest.json", false)]
    public void CachingOf_FileName_ImmutableOnlyWhenHashed(string name, bool immutable) =>
        Assert.Equal(immutable ? ViewerFiles.ImmutableCaching : ViewerFiles.RevalidateCaching, ViewerFiles.CachingOf(name));

    [Theory]
    [InlineData("../Gateway.csproj")]
    [InlineData("assets/../../package.json")]
    [InlineData("/etc/passwd")]
    [InlineData("assets\\..\\..\\package.json")]
    [InlineData("./index.html")]
    [InlineData("assets//favicon.ico")]
    [InlineData("assets")]
    public void TryMap_PathLeavingOrNotNamingAFile_IsNull(string path) =>
        Assert.Null(FixtureFiles.TryMap(path));

    [Fact]
    public void TryMap_NestedFile_IsThatFile() =>
        Assert.Equal(Path.Combine(FixtureFiles.Root, "assets", "favicon.ico"), FixtureFiles.TryMap("/assets/favicon.ico"));
}
