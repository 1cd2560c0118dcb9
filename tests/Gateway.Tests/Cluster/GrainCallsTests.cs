using Microsoft.Extensions.Logging.Abstractions;
using Pacs.Gateway.Cluster;

namespace Pacs.Gateway.Tests.Cluster;

public sealed class GrainCallsTests
{
    [Fact]
    public async Task RunAsync_SiloUnreachableTwice_AskedAgainAndAnswers()
    {
        var calls = GrainCallsForTests.Create(retryFor: TimeSpan.FromSeconds(10));
        var attempts = 0;

        var answer = await calls.RunAsync("test", _ => ++attempts <= 2
            ? Task.FromException<int>(new SiloUnavailableException("test: connection refused"))
            : Task.FromResult(42), CancellationToken.None);

        Assert.Equal(42, answer);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task RunAsync_SiloLostWhileInFlight_CancelsTheCallAndAsksAgainAtOnce()
    {
        var signal = new SiloLossSignal(NullLogger<SiloLossSignal>.Instance);
        var calls = GrainCallsForTests.Create(signal, TimeSpan.FromSeconds(10));
        var first = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = 0;

        var run = calls.RunAsync("test", async token =>
        {
            if (++attempts == 1)
            {
                first.SetResult(token);
                // An answer that never comes (its silo died): only the token ends the wait.
                await Task.Delay(Timeout.Infinite, token);
            }

            return attempts;
        }, CancellationToken.None);
        await first.Task;
        signal.NotifyGatewayCountChanged(1, 2, connectionRecovered: false);

        Assert.Equal(2, await run.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True((await first.Task).IsCancellationRequested);
        Assert.Equal(1, signal.Losses);
    }

    [Fact]
    public async Task RunAsync_StartedJustAfterALoss_AnUnansweredAttemptIsAskedAgainAfterTheAttemptTimeout()
    {
        // A call started after the loss can still be routed to the lost silo by a silo that has not seen it go.
        var signal = new SiloLossSignal(NullLogger<SiloLossSignal>.Instance);
        signal.NotifyGatewayCountChanged(1, 2, connectionRecovered: false);
        var calls = GrainCallsForTests.Create(signal, TimeSpan.FromSeconds(10), attemptTimeout: TimeSpan.FromMilliseconds(200));
        var attempts = 0;

        var answer = await calls.RunAsync("test", async token =>
        {
            if (++attempts == 1)
            {
                await Task.Delay(Timeout.Infinite, token);
            }

            return attempts;
        }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(2, answer);
    }

    [Fact]
    public async Task RunAsync_NoLossSeen_ASlowAnswerIsAwaitedNotAskedAgain()
    {
        var calls = GrainCallsForTests.Create(retryFor: TimeSpan.FromSeconds(10), attemptTimeout: TimeSpan.FromMilliseconds(100));
        var attempts = 0;

        var answer = await calls.RunAsync("test", async token =>
        {
            attempts++;
            await Task.Delay(TimeSpan.FromMilliseconds(400), token);
            return 7;
        }, CancellationToken.None);

        Assert.Equal(7, answer);
        Assert.Equal(1, attempts);
    }

    [Fact]
    public void SiloLossSignal_GatewayAdded_DoesNotFire()
    {
        var signal = new SiloLossSignal(NullLogger<SiloLossSignal>.Instance);
        var token = signal.Token;

        signal.NotifyGatewayCountChanged(2, 1, connectionRecovered: false);

        Assert.False(token.IsCancellationRequested);
        Assert.Equal(0, signal.Losses);
    }

    [Fact]
    public async Task RunAsync_NeverAnswered_TimeoutAfterTheBudget()
    {
        var calls = GrainCallsForTests.Create(retryFor: TimeSpan.FromMilliseconds(300));

        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<TimeoutException>(() => calls.RunAsync("test", async token =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return 0;
        }, CancellationToken.None));

        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task RunAsync_GrainError_NotAskedAgain()
    {
        var calls = GrainCallsForTests.Create(retryFor: TimeSpan.FromSeconds(10));
        var attempts = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => calls.RunAsync<int>("test", _ =>
        {
            attempts++;
            throw new InvalidOperationException("the grain's own error");
        }, CancellationToken.None));

        Assert.Equal(1, attempts);
    }
}
