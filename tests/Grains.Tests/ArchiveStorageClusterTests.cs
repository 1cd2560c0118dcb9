using Npgsql;

namespace Pacs.Grains.Tests;

public sealed class ArchiveStorageClusterTests(ArchiveClusterFixture fixture) : IClassFixture<ArchiveClusterFixture>
{
    [Fact]
    public async Task Cluster_TwoSilos_AreActiveInTheMembershipTable()
    {
        var active = await ScalarAsync<long>(
            "SELECT count(*) FROM orleans_membership WHERE status = 3 AND abs(extract(epoch FROM now() - i_am_alive_time)) < 300");

        Assert.Equal(2L, active);
    }

    [Fact]
    public async Task GrainState_WrittenThenReactivated_IsReadBackFromPostgres()
    {
        var grain = fixture.Cluster.GrainFactory.GetGrain<ITestStudyGrain>("study:1.2.3");
        await grain.SetValueAsync("written before deactivation");
        var firstActivation = await grain.GetActivationIdAsync();

        await grain.DeactivateAsync();
        var secondActivation = await WaitForNewActivationAsync(grain, firstActivation);

        Assert.NotEqual(firstActivation, secondActivation);
        Assert.Equal("written before deactivation", await grain.GetValueAsync());
        // System.Text.Json, not Orleans' binary format: the payload is a readable document.
        var payload = await ScalarAsync<string>(
            "SELECT convert_from(payload_binary, 'UTF8') FROM orleans_storage WHERE grain_id_extension = 'study:1.2.3'");
        Assert.Contains("\"written before deactivation\"", payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GrainState_HexLookingKeysThatDifferOnlyInCaseAndZeros_StayDistinct()
    {
        // dotnet/orleans#9706: ADO.NET storage parses hex-looking string keys as integers, so "0D1000"
        // and "d1000" would share a row; our keys carry a prefix, which must keep them apart.
        var upper = fixture.Cluster.GrainFactory.GetGrain<ITestStudyGrain>("study:0D1000");
        var lower = fixture.Cluster.GrainFactory.GetGrain<ITestStudyGrain>("study:d1000");
        await upper.SetValueAsync("upper");
        await lower.SetValueAsync("lower");

        var upperActivation = await upper.GetActivationIdAsync();
        var lowerActivation = await lower.GetActivationIdAsync();
        await upper.DeactivateAsync();
        await lower.DeactivateAsync();
        await WaitForNewActivationAsync(upper, upperActivation);
        await WaitForNewActivationAsync(lower, lowerActivation);

        Assert.Equal("upper", await upper.GetValueAsync());
        Assert.Equal("lower", await lower.GetValueAsync());
        Assert.Equal(2L, await ScalarAsync<long>(
            "SELECT count(*) FROM orleans_storage WHERE grain_id_extension IN ('study:0D1000', 'study:d1000')"));
    }

    [Fact]
    public async Task Reminder_RegisteredOnce_FiresOnceAndIsRemovedFromPostgres()
    {
        var grain = fixture.Cluster.GrainFactory.GetGrain<ITestStudyGrain>("study:reminder");

        await grain.StartOneShotReminderAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.Equal(1L, await ScalarAsync<long>(
            "SELECT count(*) FROM orleans_reminders WHERE grain_id LIKE '%study:reminder'"));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await grain.GetReminderTicksAsync() == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The reminder did not fire within 30 s.");
            await Task.Delay(200);
        }

        // Two more periods: a reminder that was not really removed would tick again.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(1, await grain.GetReminderTicksAsync());
        Assert.Equal(0L, await ScalarAsync<long>(
            "SELECT count(*) FROM orleans_reminders WHERE grain_id LIKE '%study:reminder'"));
    }

    private static async Task<Guid> WaitForNewActivationAsync(ITestStudyGrain grain, Guid previous)
    {
        // DeactivateOnIdle completes after the call returns; poll until a new activation answers.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var current = await grain.GetActivationIdAsync();
            if (current != previous)
            {
                return current;
            }

            Assert.True(DateTime.UtcNow < deadline, "The grain was not deactivated within 15 s.");
            await Task.Delay(100);
        }
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
