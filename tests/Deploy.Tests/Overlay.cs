using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Pacs.Deploy.Tests;

/// <summary>
/// One overlay of deploy-k8s/ as `kubectl kustomize` renders it, loaded into the KubernetesClient models with the strict
/// deserializer (an unknown or misspelt field fails) and each object's own Validate() (required fields).
/// </summary>
internal sealed class Overlay
{
    /// <summary>
    /// Every overlay; production-custom-metrics is production with components/gateway-custom-metrics, production-otlp
    /// production with components/otlp-export.
    /// </summary>
    public static readonly IReadOnlyList<string> Names = ["dev", "production", "production-custom-metrics", "production-otlp"];

    private static readonly ConcurrentDictionary<string, Lazy<Overlay>> Built = new();

    private Overlay(string name, string yaml, IReadOnlyList<object> objects)
    {
        Name = name;
        Yaml = yaml;
        Objects = objects;
    }

    public string Name { get; }

    /// <summary>The rendered YAML, as kubectl apply -k would send it.</summary>
    public string Yaml { get; }

    public IReadOnlyList<object> Objects { get; }

    public static Overlay Get(string name) =>
        Built.GetOrAdd(name, n => new Lazy<Overlay>(() => Build(n))).Value;

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Single<T>(string name) where T : IMetadata<V1ObjectMeta> =>
        Assert.Single(Objects.OfType<T>(), o => o.Metadata.Name == name);

    /// <summary>Every pod template (Deployments and StatefulSets) with the name of its workload.</summary>
    public IEnumerable<(string Workload, V1PodTemplateSpec Template)> PodTemplates() =>
        All<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template))
            .Concat(All<V1StatefulSet>().Select(s => (s.Metadata.Name, s.Spec.Template)));

    public V1Deployment Silos => Single<V1Deployment>("pacs-silo");

    public V1Deployment Gateways => Single<V1Deployment>("pacs-gateway");

    private static Overlay Build(string name)
    {
        var yaml = Repository.Run("kubectl", TimeSpan.FromMinutes(2), "kustomize", Repository.PathOf($"deploy-k8s/overlays/{name}"));
        var objects = KubernetesYaml.LoadAllFromString(yaml, typeMap: null, strict: true);
        foreach (var o in objects)
        {
            // The generated models check their required fields (a container without a name, a port without a number).
            o.GetType().GetMethod("Validate", Type.EmptyTypes)?.Invoke(o, null);
        }
        return new Overlay(name, yaml, objects);
    }
}
