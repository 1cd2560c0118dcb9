using System.Security.Cryptography.X509Certificates;

namespace Pacs.Gateway.Transport;

/// <summary>
/// Certificates with their private keys from files, as operators and Kubernetes secrets hand them over: PKCS#12
/// (.pfx/.p12) or PEM (certificate chain, key in the same or its own file, optionally encrypted). Used by the TLS
/// server certificate and the report signing certificate, both re-read when their files change (<see cref="Stamp"/>).
/// </summary>
internal static class CertificateFiles
{
    /// <summary>The certificate of <paramref name="path"/> with its private key; throws when either is unusable.</summary>
    public static X509Certificate2 Load(string path, string? keyPath, string? password)
    {
        password = string.IsNullOrEmpty(password) ? null : password;
        X509Certificate2 certificate;
        if (IsPkcs12(path))
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        else
        {
            var key = string.IsNullOrWhiteSpace(keyPath) ? path : keyPath;
            certificate = password is null
                ? X509Certificate2.CreateFromPemFile(path, key)
                : X509Certificate2.CreateFromEncryptedPemFile(path, password, key);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new ArgumentException($"The certificate {path} comes without its private key.");
        }

        return certificate;
    }

    /// <summary>The certificates after the first of a PEM chain file (intermediates); none for PKCS#12.</summary>
    public static X509Certificate2Collection Intermediates(string path)
    {
        var chain = new X509Certificate2Collection();
        if (IsPkcs12(path))
        {
            return chain;
        }

        chain.ImportFromPemFile(path);
        if (chain.Count > 0)
        {
            chain.RemoveAt(0);
        }

        return chain;
    }

    public static bool IsPkcs12(string path) =>
        path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The identity of the files (resolved path, size, time): it changes when a file is replaced, also when a
    /// Kubernetes secret mount swaps its symbolic links on rotation (which a file watcher misses).
    /// </summary>
    public static string Stamp(params string?[] paths) => string.Join('|', paths
        .Where(p => !string.IsNullOrWhiteSpace(p))
        .Select(p =>
        {
            var info = new FileInfo(p!);
            var target = info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            return target.Exists ? $"{target.FullName}:{target.Length}:{target.LastWriteTimeUtc.Ticks}" : $"{p}:missing";
        }));
}
