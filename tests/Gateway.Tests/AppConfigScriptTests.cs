using System.Diagnostics;
using System.Text.Json;
using Pacs.Gateway.Viewer;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The generated app-config.js run by node (as the browser would run it) and the resulting window.config read back:
/// proves it is valid JavaScript and that OHIF gets exactly the settings the viewer section of the spec lists.
/// </summary>
public sealed class AppConfigScriptTests
{
    private static async Task<JsonElement> RunAsync(string script, string afterwards = "JSON.stringify(window.config)")
    {
        var file = Path.Combine(Path.GetTempPath(), $"app-config-{Guid.NewGuid():N}.js");
        await File.WriteAllTextAsync(file, $$"""
            globalThis.window = {};
            {{script}}
            process.stdout.write({{afterwards}});
            """);
        try
        {
            var psi = new ProcessStartInfo("node", [file]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var node = Process.Start(psi)!;
            var stdout = node.StandardOutput.ReadToEndAsync();
            var stderr = node.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await node.WaitForExitAsync(cts.Token);
            Assert.True(node.ExitCode == 0, await stderr);
            return JsonDocument.Parse(await stdout).RootElement.Clone();
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Build_Defaults_OneDicomWebSourceOnThisOrigin()
    {
        var config = await RunAsync(AppConfigScript.Build(new ViewerOptions()));
        var sources = config.GetProperty("dataSources");
        Assert.Equal(1, sources.GetArrayLength());
        var source = sources[0];
        Assert.Equal("@ohif/extension-default.dataSourcesModule.dicomweb", source.GetProperty("namespace").GetString());
        Assert.Equal(config.GetProperty("defaultDataSourceName").GetString(), source.GetProperty("sourceName").GetString());
        var c = source.GetProperty("configuration");
        Assert.Equal("/dicom-web", c.GetProperty("qidoRoot").GetString());
        Assert.Equal("/dicom-web", c.GetProperty("wadoRoot").GetString());
        Assert.Equal("/wado", c.GetProperty("wadoUriRoot").GetString());
        Assert.Equal("wadors", c.GetProperty("imageRendering").GetString());
        Assert.Equal("thumbnail", c.GetProperty("thumbnailRendering").GetString());
        Assert.True(c.GetProperty("enableStudyLazyLoad").GetBoolean());
        Assert.True(c.GetProperty("supportsWildcard").GetBoolean());
        Assert.True(c.GetProperty("supportsFuzzyMatching").GetBoolean());
        Assert.False(c.GetProperty("staticWado").GetBoolean());
        Assert.Equal("bulkdata,video,pdf", c.GetProperty("singlepart").GetString());
        Assert.True(c.GetProperty("omitQuotationForMultipartRequest").GetBoolean());
    }

    [Fact]
    public async Task Build_Defaults_NothingCoversTheFirstImage()
    {
        var config = await RunAsync(AppConfigScript.Build(new ViewerOptions()));
        Assert.Equal("never", config.GetProperty("investigationalUseDialog").GetProperty("option").GetString());
        Assert.Equal(0, config.GetProperty("customizationService").GetProperty("ohif.tours").GetProperty("$set").GetArrayLength());
        Assert.False(config.GetProperty("showCPUFallbackMessage").GetBoolean());
    }

    [Fact]
    public async Task Build_Defaults_NoOidcKeyAndNoAuthorizationExtension()
    {
        var script = AppConfigScript.Build(new ViewerOptions());
        var config = await RunAsync(script);
        // An empty oidc list crashes OHIF 3.13; the key must be absent, not empty.
        Assert.False(config.TryGetProperty("oidc", out _));
        Assert.Equal(0, config.GetProperty("extensions").GetArrayLength());
        Assert.DoesNotContain("getAuthorizationHeader", script);
    }

    [Fact]
    public async Task Build_OtherRoots_AreQuotedIntoTheSource()
    {
        var config = await RunAsync(AppConfigScript.Build(new ViewerOptions { DicomWebRoot = "/pacs/'dicom-web\"", WadoUriRoot = "/pacs/wado" }));
        var c = config.GetProperty("dataSources")[0].GetProperty("configuration");
        Assert.Equal("/pacs/'dicom-web\"", c.GetProperty("qidoRoot").GetString());
        Assert.Equal("/pacs/wado", c.GetProperty("wadoUriRoot").GetString());
    }

    [Fact]
    public async Task Build_WithAuthorizationHeader_InlineExtensionSetsTheHeaderInPreRegistration()
    {
        var script = AppConfigScript.Build(new ViewerOptions(), "{ Authorization: 'Bearer ' + window.pacsToken }");
        // What OHIF does with the extension: preRegistration with its services manager, then getAuthorizationHeader().
        var result = await RunAsync(script, """
            (function () {
              var impl;
              var services = { userAuthenticationService: { setServiceImplementation: function (i) { impl = i; } } };
              var extension = window.config.extensions[0];
              extension.preRegistration({ servicesManager: { services: services } });
              window.pacsToken = 'abc';
              return JSON.stringify({ id: extension.id, header: impl.getAuthorizationHeader() });
            })()
            """);
        Assert.Equal("clinton-pacs-authorization", result.GetProperty("id").GetString());
        Assert.Equal("Bearer abc", result.GetProperty("header").GetProperty("Authorization").GetString());
    }

    [Fact]
    public async Task Build_Defaults_HeaderShowsTheClinicNameInsteadOfOhifsLogo()
    {
        // OHIF 3.13 calls whiteLabeling.createLogoComponentFn(React) for the study list's and the viewer's header.
        var logo = await RunAsync(AppConfigScript.Build(new ViewerOptions()), ReactTree);
        Assert.Equal("a", logo.GetProperty("type").GetString());
        Assert.Equal("/", logo.GetProperty("props").GetProperty("href").GetString());
        var children = logo.GetProperty("children");
        Assert.Equal(JsonValueKind.Null, children[0].ValueKind); // no logo configured
        Assert.Equal("Clinton PACS", children[1].GetProperty("children")[0].GetString());
    }

    [Fact]
    public async Task Build_ClinicNameAndLogo_LogoEmbeddedAsDataUrl()
    {
        var file = Path.Combine(Path.GetTempPath(), $"logo-{Guid.NewGuid():N}.png");
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
        await File.WriteAllBytesAsync(file, png);
        try
        {
            var logo = await RunAsync(AppConfigScript.Build(new ViewerOptions { ClinicName = "Клиника «Север» </script>", LogoPath = file }), ReactTree);
            var children = logo.GetProperty("children");
            Assert.Equal("img", children[0].GetProperty("type").GetString());
            Assert.Equal("data:image/png;base64," + Convert.ToBase64String(png), children[0].GetProperty("props").GetProperty("src").GetString());
            Assert.Equal("Клиника «Север» </script>", children[1].GetProperty("children")[0].GetString());
            Assert.Equal("Клиника «Север» </script>", logo.GetProperty("props").GetProperty("title").GetString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("logo.bmp")]
    [InlineData("missing.png")]
    public void LogoProblem_UnfitOrMissingFile_Named(string name)
    {
        Assert.Null(AppConfigScript.LogoProblem(""));
        Assert.Contains("Pacs:Viewer:LogoPath", AppConfigScript.LogoProblem(Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid().ToString("N"), name)));
    }

    /// <summary>window.config.whiteLabeling's logo component built with a stand-in React.createElement, as JSON.</summary>
    private const string ReactTree = """
        JSON.stringify(window.config.whiteLabeling.createLogoComponentFn({
          createElement: function (type, props) { return { type: type, props: props, children: Array.prototype.slice.call(arguments, 2) }; },
        }))
        """;
}
