using System.Text.RegularExpressions;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace Pacs.Deploy.Tests;

/// <summary>
/// The rules every overlay of deploy-k8s/ must keep (issue 15), checked on what `kubectl kustomize` renders, for every
/// workload it contains. docs/operations.md, "Kubernetes", says why each rule is there.
/// </summary>
public sealed partial class ManifestPolicyTests
{
    [Theory, MemberData(nameof(OverlayNames))]
    public void Overlay_Renders_OnlyKnownKindsWithValidFieldsInOneNamespace(string name)
    {
        var overlay = Overlay.Get(name);

        Assert.NotEmpty(overlay.Objects);
        var expectedNamespace = name == "dev" ? "pacs-dev" : "pacs";
        foreach (var o in overlay.Objects)
        {
            var metadata = Assert.IsAssignableFrom<IMetadata<V1ObjectMeta>>(o).Metadata;
            Assert.False(string.IsNullOrEmpty(metadata.Name), $"{o.GetType().Name} without a name");
            Assert.Equal(expectedNamespace, metadata.NamespaceProperty);
        }
        Assert.Equal(2, overlay.All<V1Deployment>().Count());
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void EveryContainer_HasProbesRequestsAndLimits(string name)
    {
        foreach (var (workload, template) in Overlay.Get(name).PodTemplates())
        {
            foreach (var container in template.Spec.Containers)
            {
                var what = $"{workload}/{container.Name}";
                Assert.True(container.LivenessProbe is not null, $"{what}: no liveness probe");
                Assert.True(container.ReadinessProbe is not null, $"{what}: no readiness probe");
                foreach (var resource in new[] { "cpu", "memory" })
                {
                    Assert.True(container.Resources?.Requests?.ContainsKey(resource) == true, $"{what}: no {resource} request");
                    Assert.True(container.Resources?.Limits?.ContainsKey(resource) == true, $"{what}: no {resource} limit");
                }
            }
        }
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void EveryContainer_LeavesTheHostsJitSettingsToTheirProjects(string name)
    {
        // The hosts' JIT settings are measured and set in Silo.csproj and Gateway.csproj (docs/operations.md, "Host
        // tuning"), which the images carry in their runtimeconfig.json; an environment variable would silently undo them.
        foreach (var (workload, template) in Overlay.Get(name).PodTemplates())
        {
            foreach (var container in template.Spec.Containers)
            {
                foreach (var variable in container.Env ?? [])
                {
                    Assert.False(variable.Name.StartsWith("DOTNET_Tiered", StringComparison.OrdinalIgnoreCase)
                        || variable.Name.StartsWith("DOTNET_TC_", StringComparison.OrdinalIgnoreCase)
                        || variable.Name.StartsWith("DOTNET_ReadyToRun", StringComparison.OrdinalIgnoreCase),
                        $"{workload}/{container.Name} sets {variable.Name}");
                }
            }
        }
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void ArchiveHosts_ProbeLiveAndReadyEndpoints(string name)
    {
        var overlay = Overlay.Get(name);
        foreach (var deployment in new[] { overlay.Silos, overlay.Gateways })
        {
            var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
            Assert.Equal("/health/live", container.LivenessProbe.HttpGet.Path);
            Assert.Equal("/health/ready", container.ReadinessProbe.HttpGet.Path);
            Assert.Equal("/health/live", container.StartupProbe.HttpGet.Path);
        }
    }

    /// <summary>
    /// A host records spans only where something exports them (HostTelemetry.SamplingRatio: unset and no OTLP endpoint
    /// means none); a ratio set without an endpoint would build spans nobody takes. components/otlp-export sets both,
    /// with a tenth of new traces, because recording every trace costs store-4 7-12 % (docs/benchmarks.md).
    /// </summary>
    [Theory, MemberData(nameof(OverlayNames))]
    public void ArchiveHosts_RecordTracesOnlyWhereTheyExportThem(string name)
    {
        var overlay = Overlay.Get(name);
        foreach (var deployment in new[] { overlay.Silos, overlay.Gateways })
        {
            var env = Assert.Single(deployment.Spec.Template.Spec.Containers).Env.ToDictionary(e => e.Name);
            var exports = env.TryGetValue("OTEL_EXPORTER_OTLP_ENDPOINT", out var endpoint);
            Assert.Equal(name == "production-otlp", exports);
            if (env.TryGetValue("Pacs__Telemetry__SamplingRatio", out var ratio))
            {
                Assert.True(exports, $"{deployment.Metadata.Name} in {name} records traces that nothing exports");
                var share = double.Parse(ratio.Value, System.Globalization.CultureInfo.InvariantCulture);
                Assert.InRange(share, 0.01, 0.5);
            }
            if (exports)
            {
                Assert.True(Uri.TryCreate(endpoint!.Value, UriKind.Absolute, out _), endpoint.Value);
                Assert.True(env.ContainsKey("Pacs__Telemetry__SamplingRatio"), $"{deployment.Metadata.Name} in {name} would record every trace");
            }
        }
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void EveryContainer_RunsNonRootReadOnlyWithoutPrivilegesOrCapabilities(string name)
    {
        foreach (var (workload, template) in Overlay.Get(name).PodTemplates())
        {
            var pod = template.Spec.SecurityContext;
            Assert.True(pod?.RunAsNonRoot == true, $"{workload}: runAsNonRoot is not set");
            Assert.True(pod.RunAsUser is > 0, $"{workload}: no non-root runAsUser");
            Assert.Equal("RuntimeDefault", pod.SeccompProfile?.Type);
            foreach (var container in template.Spec.Containers.Concat(template.Spec.InitContainers ?? []))
            {
                var what = $"{workload}/{container.Name}";
                var security = container.SecurityContext;
                Assert.True(security?.AllowPrivilegeEscalation == false, $"{what}: privilege escalation allowed");
                Assert.True(security.ReadOnlyRootFilesystem == true, $"{what}: writable root filesystem");
                Assert.True(security.Privileged != true, $"{what}: privileged");
                Assert.Contains("ALL", security.Capabilities?.Drop ?? []);
                Assert.Empty(security.Capabilities?.Add ?? []);
                Assert.True(security.RunAsUser is null or > 0, $"{what}: runs as root");
                // A read-only root needs a writable /tmp (the .NET diagnostics socket, PostgreSQL's temporary files).
                var tmp = Assert.Single(container.VolumeMounts ?? [], m => m.MountPath == "/tmp");
                Assert.NotNull(Assert.Single(template.Spec.Volumes, v => v.Name == tmp.Name).EmptyDir);
            }
        }
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void EveryImage_IsPinned(string name)
    {
        var images = Overlay.Get(name).PodTemplates()
            .SelectMany(t => t.Template.Spec.Containers.Concat(t.Template.Spec.InitContainers ?? []))
            .Select(c => c.Image).ToList();
        Assert.NotEmpty(images);
        foreach (var image in images)
        {
            Assert.Matches(PinnedImage(), image);
            Assert.DoesNotContain(":latest", image, StringComparison.Ordinal);
        }
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void NoSecret_IsInTheRepository_AndEveryReferencedSecretIsDocumented(string name)
    {
        var overlay = Overlay.Get(name);
        Assert.Empty(overlay.All<V1Secret>());
        Assert.DoesNotMatch(new Regex(@"^kind:\s*Secret\s*$", RegexOptions.Multiline), overlay.Yaml);

        var referenced = overlay.PodTemplates().SelectMany(t =>
                t.Template.Spec.Containers.SelectMany(c => c.Env ?? []).Select(e => e.ValueFrom?.SecretKeyRef?.Name)
                    .Concat((t.Template.Spec.Volumes ?? []).Select(v => v.Secret?.SecretName)))
            .Concat(overlay.All<V1Ingress>().SelectMany(i => i.Spec.Tls ?? []).Select(t => t.SecretName))
            .OfType<string>().Distinct().ToList();
        Assert.Contains("pacs-database", referenced);
        Assert.Contains("pacs-jwt", referenced);
        var operations = Repository.Read("docs/operations.md");
        foreach (var secret in referenced)
        {
            // docs/operations.md gives the kubectl command that creates each one.
            Assert.Matches(new Regex($@"kubectl -n \S+ create secret \S+ {Regex.Escape(secret)}\b"), operations);
        }
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void Deployments_RollOnePodAtATime(string name)
    {
        foreach (var deployment in Overlay.Get(name).All<V1Deployment>())
        {
            var strategy = deployment.Spec.Strategy;
            Assert.Equal("RollingUpdate", strategy?.Type);
            Assert.Equal("0", strategy!.RollingUpdate.MaxUnavailable.Value);
            Assert.Equal("1", strategy.RollingUpdate.MaxSurge.Value);
        }
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void Silos_HaveADisruptionBudgetAndNoAutoscaler(string name)
    {
        var overlay = Overlay.Get(name);
        var labels = overlay.Silos.Spec.Template.Metadata.Labels;
        var budget = Assert.Single(overlay.All<V1PodDisruptionBudget>(), b => Selects(b.Spec.Selector, labels));
        Assert.Equal("1", budget.Spec.MaxUnavailable.Value);
        Assert.DoesNotContain(overlay.All<V2HorizontalPodAutoscaler>(), h => h.Spec.ScaleTargetRef.Name == overlay.Silos.Metadata.Name);
        Assert.Equal(name == "dev" ? 1 : 3, overlay.Silos.Spec.Replicas);
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void Gateways_ScaleOnCpu(string name)
    {
        var overlay = Overlay.Get(name);
        var hpa = Assert.Single(overlay.All<V2HorizontalPodAutoscaler>());
        Assert.Equal("Deployment", hpa.Spec.ScaleTargetRef.Kind);
        Assert.Equal(overlay.Gateways.Metadata.Name, hpa.Spec.ScaleTargetRef.Name);
        Assert.Contains(hpa.Spec.Metrics, m => m.Type == "Resource" && m.Resource.Name == "cpu" && m.Resource.Target.AverageUtilization > 0);
        Assert.True(hpa.Spec.MaxReplicas >= (hpa.Spec.MinReplicas ?? 1));
        // A metric the cluster cannot read stops the HPA from scaling in: only the overlay that asks for
        // prometheus-adapter (components/gateway-custom-metrics) uses any but CPU.
        if (name != "production-custom-metrics")
        {
            Assert.All(hpa.Spec.Metrics, m => Assert.Equal("Resource", m.Type));
        }
    }

    /// <summary>
    /// components/gateway-custom-metrics: every Pods metric of the gateway HPA is served by exactly one rule of the
    /// prometheus-adapter rules it ships, per pod (namespace and pod labels), from a series the gateway exports.
    /// </summary>
    [Fact]
    public void Gateways_ScaleOnCustomMetricsThatTheAdapterRulesServe()
    {
        var overlay = Overlay.Get("production-custom-metrics");
        var hpa = Assert.Single(overlay.All<V2HorizontalPodAutoscaler>());
        var pods = hpa.Spec.Metrics.Where(m => m.Type == "Pods").ToList();
        Assert.Equal(new[] { "pacs_dimse_associations_active", "http_server_active_requests" }, pods.Select(m => m.Pods.Metric.Name));
        Assert.All(pods, m => Assert.Equal("AverageValue", m.Pods.Target.Type));
        Assert.All(pods, m => Assert.True(double.Parse(m.Pods.Target.AverageValue.ToString(), System.Globalization.CultureInfo.InvariantCulture) > 0, m.Pods.Metric.Name));

        var rules = overlay.Single<V1ConfigMap>("pacs-prometheus-adapter-rules").Data["config.yaml"];
        var yaml = new YamlStream();
        yaml.Load(new StringReader(rules));
        var served = new Dictionary<string, YamlMappingNode>(StringComparer.Ordinal);
        foreach (var rule in ((YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["rules"]).Cast<YamlMappingNode>())
        {
            var metric = ((YamlScalarNode)((YamlMappingNode)rule["name"])["as"]).Value!;
            Assert.True(served.TryAdd(metric, rule), $"two rules serve {metric}");
        }

        // The gateway's own instruments (Prometheus names: dots become underscores) and ASP.NET Core's in-flight gauge.
        var telemetry = Repository.Read("Gateway/GatewayTelemetry.cs");
        foreach (var metric in pods.Select(m => m.Pods.Metric.Name))
        {
            var rule = served.GetValueOrDefault(metric);
            Assert.True(rule is not null, $"no adapter rule serves {metric}");
            var series = SeriesName().Match(((YamlScalarNode)rule["seriesQuery"]).Value!);
            Assert.True(series.Success, $"{metric}: the seriesQuery names no series");
            Assert.True(series.Groups[1].Value == "http_server_active_requests"
                || telemetry.Contains($"\"{series.Groups[1].Value.Replace('_', '.')}\"", StringComparison.Ordinal),
                $"{metric}: {series.Groups[1].Value} is not a series the gateway exports");
            var overrides = (YamlMappingNode)((YamlMappingNode)rule["resources"])["overrides"];
            Assert.Equal("pod", ((YamlScalarNode)((YamlMappingNode)overrides["pod"])["resource"]).Value);
            Assert.Equal("namespace", ((YamlScalarNode)((YamlMappingNode)overrides["namespace"])["resource"]).Value);
            Assert.Contains("<<.LabelMatchers>>", ((YamlScalarNode)rule["metricsQuery"]).Value, StringComparison.Ordinal);
        }
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void Silos_CarryWhatKubernetesHostingReads(string name)
    {
        var overlay = Overlay.Get(name);
        var pod = overlay.Silos.Spec.Template;
        var env = Assert.Single(pod.Spec.Containers).Env.ToDictionary(e => e.Name);
        Assert.Equal("metadata.name", env["POD_NAME"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", env["POD_NAMESPACE"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("status.podIP", env["POD_IP"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.labels['orleans/serviceId']", env["ORLEANS_SERVICE_ID"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.labels['orleans/clusterId']", env["ORLEANS_CLUSTER_ID"].ValueFrom.FieldRef.FieldPath);

        // The gateways (Orleans clients) must join the cluster the silos' labels name.
        var gateway = Assert.Single(overlay.Gateways.Spec.Template.Spec.Containers).Env.ToDictionary(e => e.Name);
        Assert.Equal(pod.Metadata.Labels["orleans/serviceId"], gateway["Pacs__ServiceId"].Value);
        Assert.Equal(pod.Metadata.Labels["orleans/clusterId"], gateway["Pacs__ClusterId"].Value);
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void Silos_OutlastTheirShutdownTimeout(string name)
    {
        var shutdown = ShutdownTimeout().Match(Repository.Read("Silo/Program.cs"));
        Assert.True(shutdown.Success, "Silo/Program.cs no longer sets HostOptions.ShutdownTimeout in seconds");
        Assert.True(Overlay.Get(name).Silos.Spec.Template.Spec.TerminationGracePeriodSeconds > int.Parse(shutdown.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void SiloRole_GrantsThePodVerbsOfKubernetesHosting(string name)
    {
        var overlay = Overlay.Get(name);
        var account = overlay.Silos.Spec.Template.Spec.ServiceAccountName;
        var binding = Assert.Single(overlay.All<V1RoleBinding>(), b => b.Subjects.Any(s => s.Kind == "ServiceAccount" && s.Name == account));
        Assert.Equal("Role", binding.RoleRef.Kind);
        var role = overlay.Single<V1Role>(binding.RoleRef.Name);
        var rule = Assert.Single(role.Rules);
        Assert.Equal(new[] { "" }, rule.ApiGroups);
        Assert.Equal(new[] { "pods" }, rule.Resources);
        Assert.Equal(new[] { "delete", "get", "list", "patch", "watch" }, rule.Verbs.Order(StringComparer.Ordinal));
        // Gateways never call the Kubernetes API.
        Assert.False(overlay.Gateways.Spec.Template.Spec.AutomountServiceAccountToken);
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void Gateways_DrainAndKeepTheCallersAddress(string name)
    {
        var overlay = Overlay.Get(name);
        var pod = overlay.Gateways.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        Assert.True(container.Lifecycle?.PreStop?.Sleep?.Seconds > 0, "no preStop pause");
        Assert.True(pod.TerminationGracePeriodSeconds > container.Lifecycle!.PreStop.Sleep.Seconds);

        var dicom = overlay.Single<V1Service>("pacs-gateway-dicom");
        Assert.Equal("Local", dicom.Spec.ExternalTrafficPolicy);
        Assert.Contains(dicom.Spec.Ports, p => p.Port == 11112);
        Assert.True(Selects(dicom.Spec.Selector, overlay.Gateways.Spec.Template.Metadata.Labels));

        // The blob store is one volume shared by every gateway.
        var claim = Assert.Single(pod.Volumes, v => v.PersistentVolumeClaim is not null).PersistentVolumeClaim.ClaimName;
        var pvc = overlay.Single<V1PersistentVolumeClaim>(claim);
        var storageRoot = container.Env.Single(e => e.Name == "Pacs__StorageRoot").Value;
        Assert.Contains(container.VolumeMounts, m => m.MountPath == storageRoot);
        if (name != "dev")
        {
            Assert.Equal(new[] { "ReadWriteMany" }, pvc.Spec.AccessModes);
        }
    }

    [Fact]
    public void Production_ServesHttpThroughAnIngressWithTls_AndRequiresSigningKeys()
    {
        var overlay = Overlay.Get("production");
        var ingress = Assert.Single(overlay.All<V1Ingress>());
        var tls = Assert.Single(ingress.Spec.Tls);
        var host = Assert.Single(tls.Hosts);
        var rule = Assert.Single(ingress.Spec.Rules);
        Assert.Equal(host, rule.Host);
        var backend = Assert.Single(rule.Http.Paths).Backend.Service;
        var service = overlay.Single<V1Service>(backend.Name);
        Assert.Contains(service.Spec.Ports, p => p.Name == backend.Port.Name);

        var env = Assert.Single(overlay.Gateways.Spec.Template.Spec.Containers).Env.ToDictionary(e => e.Name);
        Assert.Equal("true", env["Pacs__Production"].Value);
        Assert.Equal($"https://{host}", env["Pacs__Http__PublicBaseUrl"].Value);
        Assert.Equal("pacs-jwt", env["Pacs__Auth__SigningKey"].ValueFrom.SecretKeyRef.Name);
        // External PostgreSQL: nothing of it is deployed here.
        Assert.Empty(overlay.All<V1StatefulSet>());
    }

    [Fact]
    public void Production_PullsItsHostsFromTheRegistryItsKustomizationNames()
    {
        var registries = Regex.Matches(Repository.Read("deploy-k8s/overlays/production/kustomization.yaml"), @"newName:\s*(\S+)")
            .Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, registries.Count);
        var overlay = Overlay.Get("production");
        foreach (var deployment in new[] { overlay.Silos, overlay.Gateways })
        {
            var image = Assert.Single(deployment.Spec.Template.Spec.Containers).Image;
            Assert.Contains(registries, r => image.StartsWith(r + ":", StringComparison.Ordinal));
        }
    }

    [Theory, MemberData(nameof(OverlayNames))]
    public void NetworkPolicies_LetSilosAndPostgresqlBeReachedOnlyFromTheArchive(string name)
    {
        var overlay = Overlay.Get(name);
        var policies = overlay.All<V1NetworkPolicy>().ToList();
        var denyAll = Assert.Single(policies, p => p.Spec.PodSelector.MatchLabels is null or { Count: 0 } && p.Spec.PodSelector.MatchExpressions is null);
        Assert.Equal(new[] { "Ingress" }, denyAll.Spec.PolicyTypes);
        Assert.Empty(denyAll.Spec.Ingress ?? []);

        var archive = new HashSet<string> { "silo", "gateway" };
        var guarded = new List<string> { "silo" };
        if (overlay.All<V1StatefulSet>().Any())
        {
            guarded.Add("postgresql");
        }

        foreach (var component in guarded)
        {
            var pods = overlay.PodTemplates().Single(t => t.Template.Metadata.Labels["app.kubernetes.io/component"] == component).Template.Metadata.Labels;
            var policy = Assert.Single(policies, p => p.Spec.PodSelector.MatchLabels is { Count: > 0 } && Selects(p.Spec.PodSelector, pods));
            Assert.NotEmpty(policy.Spec.Ingress);
            foreach (var rule in policy.Spec.Ingress)
            {
                Assert.NotEmpty(rule.FromProperty ?? []); // a rule without "from" admits everyone
                Assert.NotEmpty(rule.Ports ?? []);
                foreach (var peer in rule.FromProperty!)
                {
                    Assert.Null(peer.IpBlock);
                    if (peer.NamespaceSelector is not null)
                    {
                        // Only the metrics port may be scraped from the monitoring namespace.
                        Assert.Equal("monitoring", peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
                        Assert.All(rule.Ports!, p => Assert.Equal("9464", p.Port.Value));
                        continue;
                    }
                    Assert.Contains(peer.PodSelector.MatchLabels["app.kubernetes.io/component"], archive);
                }
            }
        }
    }

    public static TheoryData<string> OverlayNames => new(Overlay.Names);

    private static bool Selects(V1LabelSelector selector, IDictionary<string, string> labels) =>
        selector.MatchExpressions is null && Selects(selector.MatchLabels, labels);

    private static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string> labels) =>
        selector is { Count: > 0 } && selector.All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value);

    // name:tag with a version-like tag (digits and dots, optional suffix), or name@sha256:digest.
    [GeneratedRegex(@"^[a-z0-9./-]+(:[0-9]+(\.[0-9]+)+(-[a-z0-9.-]+)?|@sha256:[0-9a-f]{64})$")]
    private static partial Regex PinnedImage();

    // The series a prometheus-adapter seriesQuery selects: its metric name before the label matchers.
    [GeneratedRegex(@"^([a-z_:][a-z0-9_:]*)\{")]
    private static partial Regex SeriesName();

    [GeneratedRegex(@"ShutdownTimeout = TimeSpan\.FromSeconds\((\d+)\)")]
    private static partial Regex ShutdownTimeout();
}
