namespace Pacs.Grains.Accounts;

/// <summary>
/// The one place revocations are published to every gateway (key <see cref="Key"/>; docs/architecture.md, "Session
/// revocation"). Gateways subscribe their <see cref="ISessionRevocationObserver"/> for a lease and renew it well
/// before it ends; the hub holds subscribers in memory only, so after the hub's silo is lost it starts empty and
/// gateways re-subscribe (at once on losing a silo connection, else at the next renewal). Correctness never rests on
/// the push: a gateway that misses one still asks the session grain when its short cache entry expires.
/// </summary>
[Alias("pacs.IRevocationHub")]
public interface IRevocationHub : IGrainWithIntegerKey
{
    public const long Key = 0;

    /// <summary>Adds or renews <paramref name="observer"/> until <paramref name="lease"/> from now.</summary>
    [Alias("Subscribe")]
    Task SubscribeAsync(ISessionRevocationObserver observer, TimeSpan lease);

    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(ISessionRevocationObserver observer);

    /// <summary>Tells every subscribed gateway that <paramref name="sessionIds"/> ended (one-way messages; returns once sent).</summary>
    [Alias("Publish")]
    Task PublishAsync(IReadOnlyList<string> sessionIds);
}
