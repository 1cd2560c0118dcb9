using Orleans.Runtime;

namespace Pacs.Grains.Tests;

/// <summary>A throwaway grain for the storage tests: one persistent value and a one-shot reminder.</summary>
[Alias("Pacs.Grains.Tests.ITestStudyGrain")]
public interface ITestStudyGrain : IGrainWithStringKey
{
    [Alias("SetValue")]
    Task SetValueAsync(string value);

    [Alias("GetValue")]
    Task<string?> GetValueAsync();

    [Alias("GetActivationId")]
    Task<Guid> GetActivationIdAsync();

    [Alias("Deactivate")]
    Task DeactivateAsync();

    [Alias("StartOneShotReminder")]
    Task StartOneShotReminderAsync(TimeSpan dueTime, TimeSpan period);

    [Alias("GetReminderTicks")]
    Task<int> GetReminderTicksAsync();
}

[GenerateSerializer]
[Alias("Pacs.Grains.Tests.TestStudyState")]
public sealed class TestStudyState
{
    [Id(0)]
    public string? Value { get; set; }

    [Id(1)]
    public int ReminderTicks { get; set; }
}

public sealed class TestStudyGrain([PersistentState("study")] IPersistentState<TestStudyState> state)
    : Grain, ITestStudyGrain, IRemindable
{
    public const string ReminderName = "once";

    private readonly Guid _activationId = Guid.NewGuid();

    public async Task SetValueAsync(string value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
    }

    public Task<string?> GetValueAsync() => Task.FromResult(state.State.Value);

    public Task<Guid> GetActivationIdAsync() => Task.FromResult(_activationId);

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task StartOneShotReminderAsync(TimeSpan dueTime, TimeSpan period) =>
        this.RegisterOrUpdateReminder(ReminderName, dueTime, period);

    public Task<int> GetReminderTicksAsync() => Task.FromResult(state.State.ReminderTicks);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // Unregister first so that a slow write cannot let a second tick in.
        var reminder = await this.GetReminder(reminderName);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }

        state.State.ReminderTicks++;
        await state.WriteStateAsync();
    }
}
