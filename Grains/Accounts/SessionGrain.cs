using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pacs.Index.Accounts;

namespace Pacs.Grains.Accounts;

/// <summary>
/// One login (<see cref="ISessionGrain"/>). Activity is kept in memory and written to the row at most once a minute,
/// so a request costs no database write; after a deactivation the idle clock resumes from the last written activity
/// (at most a minute early), which errs on the side of ending sessions.
/// </summary>
[GrainType("session")]
internal sealed partial class SessionGrain(AccountStore store, IOptions<AccountOptions> options, ILogger<SessionGrain> logger) : Grain, ISessionGrain
{
    private static readonly TimeSpan ActivityWriteInterval = TimeSpan.FromMinutes(1);

    private SessionRow? _row;
    private AccountView? _account;
    private DateTimeOffset _persistedActivity;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _row = await store.LoadSessionAsync(this.GetPrimaryKeyString(), cancellationToken);
        if (_row is { RevokedAt: null })
        {
            _persistedActivity = _row.LastActivity;
            _account = await GrainFactory.GetGrain<IUserGrain>(_row.Username).GetAsync();
        }
    }

    public async Task<SessionView?> StartAsync(SessionStart start)
    {
        if (_row is not null)
        {
            // Session ids are 256 random bits: a collision means a caller reused one, which must not resurrect it.
            return null;
        }

        var account = await GrainFactory.GetGrain<IUserGrain>(start.Username).GetAsync();
        if (account is not { Enabled: true })
        {
            return null;
        }

        var now = DateTimeOffset.UtcNow;
        var lifetime = account.Role == Roles.Admin ? options.Value.AdminSessionLifetime : options.Value.SessionLifetime;
        var row = new SessionRow
        {
            SessionId = this.GetPrimaryKeyString(),
            Username = account.Username,
            Role = account.Role,
            Groups = account.Groups,
            IssuedAt = now,
            LastActivity = now,
            IdleTimeout = options.Value.IdleTimeout,
            ExpiresAt = now + lifetime,
            ClientAddress = Truncate(start.ClientAddress, 64),
            UserAgent = Truncate(start.UserAgent, 512),
            RefreshHash = start.RefreshTokenHash.Length == 0 ? null : start.RefreshTokenHash,
        };
        await store.InsertSessionAsync(row, CancellationToken.None);
        _row = row;
        _account = account;
        _persistedActivity = now;
        return View();
    }

    public async Task<SessionView?> ValidateAsync()
    {
        var now = DateTimeOffset.UtcNow;
        if (!IsLive(now))
        {
            return null;
        }

        _row = _row! with { LastActivity = now };
        if (now - _persistedActivity >= ActivityWriteInterval)
        {
            try
            {
                await store.TouchSessionAsync(_row.SessionId, now, _row.RefreshHash, CancellationToken.None);
                _persistedActivity = now;
            }
            catch (System.Data.Common.DbException e)
            {
                // The activity time is kept for the idle timeout of a later activation only; this activation's memory
                // decides now. While PostgreSQL is away (restart, failover) the session stays usable, and the write
                // is tried again at the next check (issue 18: readers keep reading while the database restarts).
                LogActivityNotWritten(logger, e.GetType().Name);
            }
        }

        return View();
    }

    [LoggerMessage(EventId = 2210, Level = LogLevel.Warning, Message = "Session activity not written ({Reason}); kept in memory, written at a later check")]
    private static partial void LogActivityNotWritten(ILogger logger, string reason);

    public async Task<SessionView?> RefreshAsync(byte[] presentedHash, byte[] nextHash)
    {
        var now = DateTimeOffset.UtcNow;
        if (!IsLive(now) || _row!.RefreshHash is not { } current)
        {
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(current, presentedHash))
        {
            // A refresh token presented twice was copied: end the session rather than let either copy go on.
            await RevokeAsync();
            return null;
        }

        _row = _row with { LastActivity = now, RefreshHash = nextHash };
        _persistedActivity = now;
        await store.TouchSessionAsync(_row.SessionId, now, nextHash, CancellationToken.None);
        return View();
    }

    public async Task RevokeAsync()
    {
        if (_row is { RevokedAt: null } row)
        {
            _row = row with { RevokedAt = DateTimeOffset.UtcNow };
            await store.RevokeSessionAsync(row.SessionId, CancellationToken.None);
            // A string[], not a collection expression: the latter would be a compiler-made type Orleans cannot serialize.
            await RevocationPublisher.PublishAsync(GrainFactory, new[] { row.SessionId }, logger);
        }
    }

    private bool IsLive(DateTimeOffset now) =>
        _row is { RevokedAt: null } row && _account is not null && now < row.ExpiresAt && now - row.LastActivity < row.IdleTimeout;

    private SessionView View() => new()
    {
        SessionId = _row!.SessionId,
        Username = _row.Username,
        Role = _row.Role,
        Groups = _row.Groups,
        Language = _account?.Language ?? Languages.Default,
        DisplayName = _account?.DisplayName ?? "",
        IssuedAt = _row.IssuedAt,
        ExpiresAt = _row.ExpiresAt,
        MustChangePassword = _account?.MustChangePassword ?? false,
    };

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
