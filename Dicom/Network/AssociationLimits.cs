namespace Pacs.Dicom.Network;

/// <summary>Quotas on the connections an acceptor serves at once (local policy; PS3.8 leaves them to the implementation).</summary>
public sealed record AssociationLimits
{
    /// <summary>Connections being negotiated or associated, from anyone.</summary>
    public int MaxAssociations { get; init; } = 128;

    /// <summary>Connections being negotiated or associated from one IP address: one peer cannot take every slot.</summary>
    public int MaxAssociationsPerAddress { get; init; } = 32;

    /// <summary>Established associations of one calling AE title, counted once the A-ASSOCIATE-RQ is read.</summary>
    public int MaxAssociationsPerCallingAe { get; init; } = 32;

    /// <summary>
    /// Refused connections answered with A-ASSOCIATE-RJ at the same time (each costs a short read of the request);
    /// past this, a refused connection is closed at once without an answer.
    /// </summary>
    public int MaxConcurrentRejections { get; init; } = 32;
}
