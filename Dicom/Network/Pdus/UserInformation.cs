using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>
/// User information item (50h, PS3.8 9.3.2.3 and PS3.7 Annex D.3.3) with its sub-items. Unknown sub-items are
/// skipped when read (PS3.7 D.3.3: an acceptor ignores what it does not support).
/// </summary>
public sealed record UserInformation
{
    internal const byte ItemType = 0x50;
    private const byte MaximumLengthItemType = 0x51;
    private const byte ImplementationClassUidItemType = 0x52;
    private const byte ImplementationVersionNameItemType = 0x55;

    /// <summary>Maximum length of a P-DATA-TF PDU the sender can receive (51h, PS3.8 D.1); 0 means no limit.</summary>
    public uint MaximumLength { get; init; }

    public string? ImplementationClassUid { get; init; }
    public string? ImplementationVersionName { get; init; }
    public AsynchronousOperationsWindow? AsynchronousOperationsWindow { get; init; }
    public IReadOnlyList<RoleSelection> RoleSelections { get; init; } = [];
    public IReadOnlyList<SopClassExtendedNegotiation> ExtendedNegotiations { get; init; } = [];
    public IReadOnlyList<SopClassCommonExtendedNegotiation> CommonExtendedNegotiations { get; init; } = [];
    public UserIdentityRequest? UserIdentityRequest { get; init; }
    public UserIdentityResponse? UserIdentityResponse { get; init; }

    internal int BodyLength
    {
        get
        {
            var n = 4 + 4;
            if (ImplementationClassUid is not null)
            {
                n += 4 + PduBinary.AsciiLength(ImplementationClassUid);
            }

            if (AsynchronousOperationsWindow is not null)
            {
                n += 4 + 4;
            }

            foreach (var r in RoleSelections)
            {
                n += 4 + r.BodyLength;
            }

            if (ImplementationVersionName is not null)
            {
                n += 4 + PduBinary.AsciiLength(ImplementationVersionName);
            }

            foreach (var e in ExtendedNegotiations)
            {
                n += 4 + e.BodyLength;
            }

            foreach (var e in CommonExtendedNegotiations)
            {
                n += 4 + e.BodyLength;
            }

            if (UserIdentityRequest is not null)
            {
                n += 4 + UserIdentityRequest.BodyLength;
            }

            if (UserIdentityResponse is not null)
            {
                n += 4 + 2 + UserIdentityResponse.ServerResponse.Length;
            }

            return n;
        }
    }

    internal void Write(IBufferWriter<byte> w)
    {
        PduBinary.WriteItemHeader(w, ItemType, BodyLength);
        PduBinary.WriteItemHeader(w, MaximumLengthItemType, 4);
        PduBinary.WriteUInt32(w, MaximumLength);
        // PS3.7 D.3.3.2: the implementation class UID is mandatory, sent right after the maximum length.
        if (ImplementationClassUid is not null)
        {
            PduBinary.WriteItemHeader(w, ImplementationClassUidItemType, PduBinary.AsciiLength(ImplementationClassUid));
            PduBinary.WriteAscii(w, ImplementationClassUid);
        }
        if (AsynchronousOperationsWindow is { } window)
        {
            PduBinary.WriteItemHeader(w, Pdus.AsynchronousOperationsWindow.ItemType, 4);
            PduBinary.WriteUInt16(w, window.MaxOperationsInvoked);
            PduBinary.WriteUInt16(w, window.MaxOperationsPerformed);
        }
        foreach (var r in RoleSelections)
        {
            r.Write(w);
        }

        if (ImplementationVersionName is not null)
        {
            PduBinary.WriteItemHeader(w, ImplementationVersionNameItemType, PduBinary.AsciiLength(ImplementationVersionName));
            PduBinary.WriteAscii(w, ImplementationVersionName);
        }
        foreach (var e in ExtendedNegotiations)
        {
            e.Write(w);
        }

        foreach (var e in CommonExtendedNegotiations)
        {
            e.Write(w);
        }

        UserIdentityRequest?.Write(w);
        UserIdentityResponse?.Write(w);
    }

    internal static UserInformation Read(ReadOnlySequence<byte> body, long origin)
    {
        var r = new SequenceReader<byte>(body);
        uint maxLength = 0;
        string? classUid = null, versionName = null;
        AsynchronousOperationsWindow? window = null;
        List<RoleSelection>? roles = null;
        List<SopClassExtendedNegotiation>? extended = null;
        List<SopClassCommonExtendedNegotiation>? common = null;
        UserIdentityRequest? identityRequest = null;
        UserIdentityResponse? identityResponse = null;
        while (r.Remaining > 0)
        {
            var (type, _, length) = PduBinary.ReadItemHeader(ref r, origin);
            var sub = new SequenceReader<byte>(PduBinary.ReadSlice(ref r, length, origin));
            var subOrigin = origin + r.Consumed - length;
            switch (type)
            {
                case MaximumLengthItemType: maxLength = PduBinary.ReadUInt32(ref sub, subOrigin); break;
                case ImplementationClassUidItemType: classUid = PduBinary.ReadAscii(ref sub, length, subOrigin); break;
                case ImplementationVersionNameItemType: versionName = PduBinary.ReadAscii(ref sub, length, subOrigin); break;
                case Pdus.AsynchronousOperationsWindow.ItemType:
                    window = new(PduBinary.ReadUInt16(ref sub, subOrigin), PduBinary.ReadUInt16(ref sub, subOrigin));
                    break;
                case RoleSelection.ItemType: (roles ??= []).Add(RoleSelection.Read(ref sub, subOrigin)); break;
                case SopClassExtendedNegotiation.ItemType: (extended ??= []).Add(SopClassExtendedNegotiation.Read(ref sub, subOrigin)); break;
                case SopClassCommonExtendedNegotiation.ItemType: (common ??= []).Add(SopClassCommonExtendedNegotiation.Read(ref sub, subOrigin)); break;
                case UserIdentityRequest.ItemType: identityRequest = UserIdentityRequest.Read(ref sub, subOrigin); break;
                case UserIdentityResponse.ItemType: identityResponse = UserIdentityResponse.Read(ref sub, subOrigin); break;
                default: break; // unknown sub-item: already skipped by slicing
            }
        }
        return new UserInformation
        {
            MaximumLength = maxLength,
            ImplementationClassUid = classUid,
            ImplementationVersionName = versionName,
            AsynchronousOperationsWindow = window,
            RoleSelections = roles ?? [],
            ExtendedNegotiations = extended ?? [],
            CommonExtendedNegotiations = common ?? [],
            UserIdentityRequest = identityRequest,
            UserIdentityResponse = identityResponse,
        };
    }
}
