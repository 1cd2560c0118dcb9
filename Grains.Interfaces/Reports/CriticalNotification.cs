namespace Pacs.Grains.Reports;

/// <summary>
/// The record that a critical finding was communicated (ACR Practice Parameter for Communication of Diagnostic Imaging
/// Findings: who was notified, how, when, by whom). A report flagged critical cannot be signed without one for the
/// version being signed (<see cref="Version"/>: the draft's, or the next version when a signed report is amended).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("pacs.CriticalNotification")]
public sealed record CriticalNotification
{
    public const string Phone = "phone";
    public const string InPerson = "in-person";
    public const string Message = "message";

    public const int MaximumNotifiedLength = 200;

    public static IReadOnlyList<string> Methods { get; } = [Phone, InPerson, Message];

    [Id(0)] public int Version { get; init; }
    /// <summary>Who was notified (e.g. "Dr Smith, referring physician"), free text.</summary>
    [Id(1)] public required string Notified { get; init; }
    /// <summary>How: <see cref="Phone"/>, <see cref="InPerson"/> or <see cref="Message"/>.</summary>
    [Id(2)] public required string Method { get; init; }
    [Id(3)] public required DateTimeOffset NotifiedAt { get; init; }
    /// <summary>The user who notified and recorded it.</summary>
    [Id(4)] public required string RecordedBy { get; init; }
    [Id(5)] public DateTimeOffset RecordedAt { get; init; }

    /// <summary>Why the record is not acceptable at <paramref name="now"/>, or null.</summary>
    public string? Check(DateTimeOffset now)
    {
        if (Notified.Trim().Length is 0 || Notified.Length > MaximumNotifiedLength)
        {
            return $"notified (who was notified) holds 1 to {MaximumNotifiedLength} characters.";
        }

        if (!Methods.Contains(Method))
        {
            return $"method must be one of {string.Join(", ", Methods)}.";
        }

        // A few minutes of clock skew between the doctor's machine and the silo are tolerated, a future time is not.
        return NotifiedAt > now.AddMinutes(5) || NotifiedAt < now.AddDays(-30)
            ? "notifiedAt must be a time in the last 30 days, not in the future."
            : null;
    }
}
