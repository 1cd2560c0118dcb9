using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pacs.Index.Reports;
using Pacs.Index.Write;

namespace Pacs.Grains.Reports;

/// <summary>
/// The report of one study (<see cref="IReportGrain"/>): checks the entity tag and the life cycle, writes one version
/// row per change (the store checks the revision again, so a second activation elsewhere cannot overwrite either) and
/// records an audit event for every change. The advisory editing lock lives in this activation's memory only (not
/// persisted: after a silo's loss it is gone, and the ETag still guards every write); it lasts
/// <see cref="ReportGrainOptions.EditingLockLifetime"/> unless renewed.
/// </summary>
[GrainType("report")]
internal sealed partial class ReportGrain(ReportStore store, StudyIndex index, IOptions<ReportGrainOptions> options, ILogger<ReportGrain> logger)
    : Grain, IReportGrain
{
    private readonly TimeSpan _lockLifetime = options.Value.EditingLockLifetime;
    private ReportState _state = new();
    private ReportLock? _lock;

    /// <summary>The lock unless it has expired.</summary>
    private ReportLock? LiveLock => _lock is { } held && held.Expires > DateTimeOffset.UtcNow ? held : null;

    private string StudyInstanceUid => this.GetPrimaryKeyString()["report/".Length..];

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        _state = await store.LoadAsync(StudyInstanceUid, cancellationToken);

    public Task<ReportState> GetAsync() => Task.FromResult(_state);

    public async Task<IReadOnlyList<ReportVersion>> HistoryAsync() => await store.HistoryAsync(StudyInstanceUid, CancellationToken.None);

    public async Task<ReportResult> SaveDraftAsync(string ifMatch, ReportContent content, string author)
    {
        if (await Refuse(ifMatch, author) is { } refused)
        {
            return refused;
        }

        if (_state.Current is { } current && ReportStatus.IsSigned(current.Status))
        {
            return Fail(ReportError.Conflict, "The report is signed and cannot change: amend it instead.");
        }

        if (content.Check() is { } invalid)
        {
            return Fail(ReportError.Invalid, invalid);
        }

        // A preliminary report stays preliminary while it is edited (it does not fall back to draft).
        var status = _state.Current?.Status == ReportStatus.Preliminary ? ReportStatus.Preliminary : ReportStatus.Draft;
        var now = DateTimeOffset.UtcNow;
        var draft = new ReportVersion
        {
            StudyInstanceUid = StudyInstanceUid,
            Version = 1,
            Status = status,
            Content = content,
            Author = author,
            CreatedAt = _state.Current?.CreatedAt ?? now,
            UpdatedAt = now,
        };
        return await WriteAsync(draft, status == ReportStatus.Preliminary ? "report.preliminary.saved" : "report.draft.saved", author);
    }

    public async Task<ReportResult> MarkPreliminaryAsync(string ifMatch, string actor)
    {
        if (await Refuse(ifMatch, actor) is { } refused)
        {
            return refused;
        }

        if (_state.Current is not { Status: ReportStatus.Draft } draft)
        {
            return Fail(ReportError.Conflict, _state.Current is null ? "There is no draft to mark preliminary."
                : _state.Current.Status == ReportStatus.Preliminary ? "The report is preliminary already." : "The report is signed already.");
        }

        if (draft.Content.Findings.Trim().Length == 0 && draft.Content.Impression.Trim().Length == 0)
        {
            return Fail(ReportError.Invalid, "An empty report cannot be preliminary: write findings or an impression first.");
        }

        return await WriteAsync(draft with { Status = ReportStatus.Preliminary, UpdatedAt = DateTimeOffset.UtcNow }, "report.preliminary", actor);
    }

    public async Task<ReportResult> SignAsync(string ifMatch, string signer)
    {
        if (await Refuse(ifMatch, signer) is { } refused)
        {
            return refused;
        }

        if (_state.Current is not { } draft || !ReportStatus.IsEditable(draft.Status))
        {
            return Fail(ReportError.Conflict, _state.Current is null ? "There is no draft to sign." : "The report is signed already: amend it instead.");
        }

        if (draft.Content.Findings.Trim().Length == 0 && draft.Content.Impression.Trim().Length == 0)
        {
            return Fail(ReportError.Invalid, "An empty report cannot be signed: write findings or an impression first.");
        }

        if (UnnotifiedCritical(draft.Content, draft.Version) is { } unnotified)
        {
            return unnotified;
        }

        var now = DateTimeOffset.UtcNow;
        return await WriteAsync(draft with { Status = ReportStatus.Final, Signer = signer, SignedAt = now, UpdatedAt = now }, "report.signed", signer);
    }

    public async Task<ReportResult> AmendAsync(string ifMatch, ReportContent content, string reason, string signer)
    {
        if (await Refuse(ifMatch, signer) is { } refused)
        {
            return refused;
        }

        if (_state.Current is not { } signed || !ReportStatus.IsSigned(signed.Status))
        {
            return Fail(ReportError.Conflict, "Only a signed report can be amended: edit the draft instead.");
        }

        if (content.Check() is { } invalid)
        {
            return Fail(ReportError.Invalid, invalid);
        }

        reason = reason.Trim();
        if (reason.Length is 0 or > 2_000)
        {
            return Fail(ReportError.Invalid, "An amendment needs a reason of 1 to 2000 characters.");
        }

        if (content.Findings.Trim().Length == 0 && content.Impression.Trim().Length == 0)
        {
            return Fail(ReportError.Invalid, "An amendment needs findings or an impression.");
        }

        if (UnnotifiedCritical(content, signed.Version + 1) is { } unnotified)
        {
            return unnotified;
        }

        var now = DateTimeOffset.UtcNow;
        var amended = new ReportVersion
        {
            StudyInstanceUid = StudyInstanceUid,
            Version = signed.Version + 1,
            Status = ReportStatus.Amended,
            Content = content,
            AmendmentReason = reason,
            Author = signer,
            Signer = signer,
            CreatedAt = now,
            UpdatedAt = now,
            SignedAt = now,
        };
        return await WriteAsync(amended, "report.amended", signer);
    }

    public async Task<ReportResult> RecordCriticalNotificationAsync(CriticalNotification notification)
    {
        if (_state.Current is not { } current)
        {
            return Fail(ReportError.Conflict, "There is no report yet: save the draft (flagged critical) first.");
        }

        var now = DateTimeOffset.UtcNow;
        if (notification.Check(now) is { } invalid)
        {
            return Fail(ReportError.Invalid, invalid);
        }

        var recorded = notification with
        {
            Notified = notification.Notified.Trim(),
            Version = ReportStatus.IsEditable(current.Status) ? current.Version : current.Version + 1,
            RecordedAt = now,
        };
        await store.AddNotificationAsync(StudyInstanceUid, recorded, CancellationToken.None);
        _state = _state with { Notifications = [.. _state.Notifications, recorded] };
        await index.AuditAsync("report.critical.notified", StudyInstanceUid, null, new Dictionary<string, string>
        {
            ["actor"] = recorded.RecordedBy,
            ["version"] = recorded.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["notified"] = recorded.Notified,
            ["method"] = recorded.Method,
            ["notifiedAt"] = recorded.NotifiedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        }, CancellationToken.None);
        return ReportResult.Ok(_state);
    }

    /// <summary>
    /// The refusal to sign <paramref name="version"/> when its content is flagged critical and no notification was
    /// recorded for it (the communication of critical results comes before the signature); else null.
    /// </summary>
    private ReportResult? UnnotifiedCritical(ReportContent content, int version) =>
        content.Critical && !_state.Notifications.Any(n => n.Version == version)
            ? Fail(ReportError.CriticalNotificationRequired,
                "Rule critical-notification-required: a report flagged critical cannot be signed until the notification of the "
                + "critical finding is recorded (who was notified, how, when): POST /api/studies/{study}/report/critical-notification.")
            : null;

    public Task<ReportLock?> GetLockAsync() => Task.FromResult(LiveLock);

    public async Task<ReportLock> AcquireLockAsync(string user, string displayName, bool force)
    {
        var held = LiveLock;
        if (held is not null && !held.IsHeldBy(user) && !force)
        {
            return held;
        }

        var now = DateTimeOffset.UtcNow;
        var renewal = held is not null && held.IsHeldBy(user);
        _lock = new ReportLock { Holder = user, HolderName = displayName, Since = renewal ? held!.Since : now, Expires = now + _lockLifetime };
        if (!renewal)
        {
            // Heartbeats renew silently; taking the lock, and above all taking it from someone, is audited.
            var detail = new Dictionary<string, string> { ["actor"] = user };
            if (held is not null)
            {
                detail["previousHolder"] = held.Holder;
            }

            await index.AuditAsync(held is null ? "report.lock.taken" : "report.lock.forced", StudyInstanceUid, null, detail, CancellationToken.None);
        }

        return _lock;
    }

    public async Task ReleaseLockAsync(string user)
    {
        if (LiveLock is { } held && held.IsHeldBy(user))
        {
            _lock = null;
            await index.AuditAsync("report.lock.released", StudyInstanceUid, null, new Dictionary<string, string> { ["actor"] = user }, CancellationToken.None);
        }
    }

    /// <summary>
    /// A failed result when another user holds the editing lock, the If-Match is not the current entity tag or the
    /// study is unknown; else null.
    /// </summary>
    private async Task<ReportResult?> Refuse(string ifMatch, string actor)
    {
        if (LiveLock is { } held && !held.IsHeldBy(actor))
        {
            return ReportResult.Fail(ReportError.Locked, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The report is being edited by {held.HolderName} ({held.Holder}) since {held.Since:yyyy-MM-dd HH:mm} UTC; the lock expires at {held.Expires:HH:mm:ss} UTC unless renewed."),
                _state) with { Lock = held };
        }

        if (!string.Equals(ifMatch, _state.ETag, StringComparison.Ordinal))
        {
            return Fail(ReportError.PreconditionFailed, $"The report has changed: its current ETag is {_state.ETag}.");
        }

        return _state.Current is null && !await store.StudyExistsAsync(StudyInstanceUid, CancellationToken.None)
            ? Fail(ReportError.UnknownStudy, "The archive holds no such study.")
            : null;
    }

    private async Task<ReportResult> WriteAsync(ReportVersion version, string auditKind, string actor)
    {
        if (!await store.WriteAsync(version, _state.Revision, CancellationToken.None))
        {
            // Someone else wrote (another activation during a silo's failure): take the stored state and refuse.
            _state = await store.LoadAsync(StudyInstanceUid, CancellationToken.None);
            return Fail(ReportError.PreconditionFailed, $"The report has changed: its current ETag is {_state.ETag}.");
        }

        _state = _state with { Current = version, Revision = _state.Revision + 1 };
        if (LiveLock is { } mine && mine.IsHeldBy(actor))
        {
            // A save renews the holder's lock; signing ends the editing.
            _lock = ReportStatus.IsSigned(version.Status) ? null : mine with { Expires = DateTimeOffset.UtcNow + _lockLifetime };
        }

        await index.AuditAsync(auditKind, StudyInstanceUid, null, new Dictionary<string, string>
        {
            ["actor"] = actor,
            ["version"] = version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["status"] = version.Status,
            ["priority"] = version.Content.Priority,
            ["critical"] = version.Content.Critical ? "true" : "false",
        }, CancellationToken.None);
        LogReportChanged(logger, StudyInstanceUid, version.Version, version.Status);
        return ReportResult.Ok(_state);
    }

    private ReportResult Fail(ReportError error, string detail) => ReportResult.Fail(error, detail, _state);

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Report of study {StudyInstanceUid}: version {Version} is {Status}")]
    private static partial void LogReportChanged(ILogger logger, string studyInstanceUid, int version, string status);
}
