using System.Text.RegularExpressions;
using System.Xml.Linq;
using k8s.Models;

namespace Pacs.Deploy.Tests;

/// <summary>
/// No image can be built here (no container engine), so each host's Dockerfile is checked against what it builds: the
/// project files it restores from, the project it publishes, the entry assembly and folder layout `dotnet publish`
/// produces, the user the manifests run it as, and (gateway) the OHIF pin.
/// </summary>
public sealed partial class DockerfileTests
{
    public static readonly TheoryData<string, string> Hosts = new()
    {
        { "Silo", "pacs-silo" },
        { "Gateway", "pacs-gateway" },
    };

    [Theory, MemberData(nameof(Hosts))]
    public void Dockerfile_BuildsWithThePinnedSdkAndRunsOnThePinnedAspNetRuntime(string host, string workload)
    {
        _ = workload;
        var dockerfile = Dockerfile.Load($"{host}/Dockerfile");
        Assert.True(dockerfile.Stages.Count >= 2, "not a multi-stage build");
        foreach (var stage in dockerfile.Stages)
        {
            Assert.Matches(PinnedBaseImage(), stage.Image);
        }

        var build = dockerfile["build"];
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:", build.Image, StringComparison.Ordinal);
        // The SDK image's band must satisfy global.json (same major.minor; rollForward latestFeature).
        var sdk = GlobalJsonSdk().Match(Repository.Read("global.json"));
        Assert.True(sdk.Success);
        Assert.StartsWith($"mcr.microsoft.com/dotnet/sdk:{sdk.Groups[1].Value}.", build.Image, StringComparison.Ordinal);
        Assert.StartsWith($"mcr.microsoft.com/dotnet/aspnet:{sdk.Groups[1].Value}.", dockerfile.Final.Image, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Hosts))]
    public void Dockerfile_RestoresFromEveryProjectFileTheHostNeeds(string host, string workload)
    {
        _ = workload;
        var build = Dockerfile.Load($"{host}/Dockerfile")["build"];
        var copied = build.Copies().Where(c => c.From is null).SelectMany(c => c.Sources).ToHashSet(StringComparer.Ordinal);
        foreach (var source in copied.Where(s => s != "."))
        {
            Assert.True(File.Exists(Repository.PathOf(source)), $"{host}/Dockerfile copies {source}, which does not exist");
        }

        // The restore step sees only what was copied before it: the host's project and everything it references.
        var restore = build.Instructions.FindIndex(i => i.Keyword == "RUN" && i.Arguments.StartsWith("dotnet restore", StringComparison.Ordinal));
        Assert.True(restore > 0, "no dotnet restore step");
        var beforeRestore = build.Instructions.Take(restore).Where(i => i.Keyword == "COPY").SelectMany(i => i.Words.SkipLast(1)).ToHashSet(StringComparer.Ordinal);
        foreach (var needed in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props" }.Concat(ProjectClosure($"{host}/{host}.csproj")))
        {
            Assert.Contains(needed, beforeRestore);
        }
    }

    [Theory, MemberData(nameof(Hosts))]
    public void Dockerfile_CopiesWhatDotnetPublishProducesAndStartsItsEntryAssembly(string host, string workload)
    {
        _ = workload;
        var dockerfile = Dockerfile.Load($"{host}/Dockerfile");
        var publish = Assert.Single(dockerfile["build"].Of("RUN"), r => r.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal)).Words;
        Assert.Equal($"{host}/{host}.csproj", publish[2]);
        Assert.Contains("Release", publish);
        var output = publish[Array.IndexOf(publish, "-o") + 1];

        var (from, sources, destination) = Assert.Single(dockerfile.Final.Copies());
        Assert.Equal("build", from);
        Assert.Equal(output, Assert.Single(sources));
        var workdir = Assert.Single(dockerfile.Final.Of("WORKDIR")).Arguments;
        Assert.True(destination is "./" or "." || destination.TrimEnd('/') == workdir, $"copied to {destination}, not the working directory {workdir}");

        // The entry assembly is the project's AssemblyName, and `dotnet publish` of the built project produces it.
        var assemblyName = XDocument.Load(Repository.PathOf($"{host}/{host}.csproj")).Descendants("AssemblyName").Single().Value;
        var entrypoint = Assert.Single(dockerfile.Final.Of("ENTRYPOINT")).Words;
        Assert.Equal(new[] { "dotnet", $"{assemblyName}.dll" }, entrypoint);

        var published = Path.Combine(Path.GetTempPath(), $"pacs-publish-{host}-{Guid.NewGuid():N}");
        try
        {
            Repository.Run("dotnet", TimeSpan.FromMinutes(5), "publish", $"{host}/{host}.csproj", "-c", "Release", "--no-build", "--disable-build-servers", "-o", published, "-nologo", "-v", "q");
            Assert.True(File.Exists(Path.Combine(published, $"{assemblyName}.dll")), $"dotnet publish produced no {assemblyName}.dll");
            Assert.True(File.Exists(Path.Combine(published, $"{assemblyName}.runtimeconfig.json")));
            AssertRuntimeTuningPublished(host, Path.Combine(published, $"{assemblyName}.runtimeconfig.json"));
            Assert.True(File.Exists(Path.Combine(published, $"{assemblyName}.deps.json")));
            if (host == "Gateway")
            {
                // ViewerFiles.ResolveRoot: a published gateway serves the viewer from viewer/ beside its assembly.
                Assert.True(File.Exists(Path.Combine(published, "viewer", "index.html")), "the published gateway has no viewer/index.html");
            }
        }
        finally
        {
            if (Directory.Exists(published))
            {
                Directory.Delete(published, recursive: true);
            }
        }
    }

    // The runtime settings a host project declares (docs/operations.md, "Host tuning"): the image runs the published
    // runtimeconfig.json, ./pacs the built one, and both must run the hosts alike (no manifest sets them again).
    private static readonly Dictionary<string, string> RuntimeProperties = new()
    {
        ["TieredPGO"] = "System.Runtime.TieredPGO",
        ["TieredCompilation"] = "System.Runtime.TieredCompilation",
        ["TieredCompilationQuickJit"] = "System.Runtime.TieredCompilation.QuickJit",
        ["TieredCompilationQuickJitForLoops"] = "System.Runtime.TieredCompilation.QuickJitForLoops",
    };

    private static void AssertRuntimeTuningPublished(string host, string runtimeConfigPath)
    {
        var project = XDocument.Load(Repository.PathOf($"{host}/{host}.csproj"));
        var declared = project.Descendants("RuntimeHostConfigurationOption")
            .Select(o => (Name: (string)o.Attribute("Include")!, Value: (string)o.Attribute("Value")!))
            .Concat(RuntimeProperties.SelectMany(p => project.Descendants(p.Key).Select(e => (Name: p.Value, e.Value))))
            .ToList();
        Assert.Contains(declared, d => d.Name == "System.Runtime.TieredPGO");
        Assert.Contains(declared, d => d.Name == "System.Runtime.TieredCompilation.QuickJit");

        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(runtimeConfigPath));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        foreach (var (name, value) in declared)
        {
            Assert.True(properties.TryGetProperty(name, out var published), $"{host}: {name} is not in the published runtimeconfig.json");
            Assert.Equal(value.ToLowerInvariant(), published.ToString().ToLowerInvariant());
        }
    }

    [Theory, MemberData(nameof(Hosts))]
    public void Image_RunsAsTheUserTheManifestsRequire(string host, string workload)
    {
        var user = Assert.Single(Dockerfile.Load($"{host}/Dockerfile").Final.Of("USER")).Arguments;
        Assert.Matches("^[1-9][0-9]*$", user); // numeric, so that runAsNonRoot can verify it
        foreach (var overlay in Overlay.Names)
        {
            var pod = Overlay.Get(overlay).Single<V1Deployment>(workload).Spec.Template.Spec.SecurityContext;
            Assert.Equal(long.Parse(user, System.Globalization.CultureInfo.InvariantCulture), pod.RunAsUser);
        }
    }

    [Fact]
    public void GatewayImage_InstallsTheViewerOfTheOhifPinWhereThePublishStepTakesIt()
    {
        var dockerfile = Dockerfile.Load("Gateway/Dockerfile");
        var viewer = dockerfile["viewer"];
        Assert.Contains(viewer.Copies(), c => c.From is null && c.Sources.SequenceEqual(new[] { "Gateway/Viewer/ohif.pin" }));
        var install = string.Join('\n', viewer.Of("RUN").Select(r => r.Arguments));
        Assert.Contains("npm pack \"$pkg@$version\"", install, StringComparison.Ordinal);
        Assert.Contains("sha512", install, StringComparison.Ordinal);
        Assert.Contains("[ \"$actual\" = \"$integrity\" ]", install, StringComparison.Ordinal);

        // Gateway.csproj's PublishViewer target copies $(PacsViewerDist) into the publish folder's viewer/.
        var dist = XDocument.Load(Repository.PathOf("Gateway/Gateway.csproj")).Descendants("PacsViewerDist").Single().Value
            .Replace("$(MSBuildProjectDirectory)", "Gateway", StringComparison.Ordinal);
        var build = dockerfile["build"];
        var copy = Assert.Single(build.Copies(), c => c.From == "viewer");
        Assert.Equal(dist, copy.Destination);
        Assert.EndsWith("/dist", Assert.Single(copy.Sources), StringComparison.Ordinal);
        var copyIndex = build.Instructions.FindIndex(i => i.Keyword == "COPY" && i.Arguments.StartsWith("--from=viewer", StringComparison.Ordinal));
        var publishIndex = build.Instructions.FindIndex(i => i.Keyword == "RUN" && i.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal));
        Assert.True(copyIndex < publishIndex, "the viewer must be in place before dotnet publish");
    }

    [Fact]
    public void DockerIgnore_KeepsLocalBuildOutputAndNodeModulesOutOfTheContext()
    {
        var ignored = Repository.Read(".dockerignore").Split('\n').Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.Contains("**/node_modules/", ignored);
    }

    /// <summary>The project and every project it references, transitively, as repository-relative paths.</summary>
    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }

            var folder = Path.GetDirectoryName(current)!;
            foreach (var reference in XDocument.Load(Repository.PathOf(current)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(Repository.PathOf(folder), reference.Attribute("Include")!.Value));
                pending.Push(Path.GetRelativePath(Repository.Root, full).Replace(Path.DirectorySeparatorChar, '/'));
            }
        }
        return seen;
    }

    [GeneratedRegex(@"""version""\s*:\s*""(\d+\.\d+)\.")]
    private static partial Regex GlobalJsonSdk();

    // registry/name:major.minor.patch[-variant]
    [GeneratedRegex(@"^[a-z0-9./-]+:[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.-]+)?$")]
    private static partial Regex PinnedBaseImage();
}
