using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;
using static Aion.Worker.Tests.Support.ReconnectKit;

namespace Aion.Worker.Tests.Reconnect;

/// <summary>CONFORMANCE #24–#26: the establishment attempt loop.</summary>
public sealed class EstablishmentTests
{
    [Test]
    public async Task Connect_failing_once_is_retried_after_exactly_one_initial_backoff()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        harness.Engine.Script(ConnectionScript.FailConnect(Unavailable("engine starting")));
        harness.Start();

        await harness.Time.WaitForTimerCountAsync(Ms(5), 1);
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(1), "the retry waits for the sleep");

        harness.Time.Advance(Ms(5));
        var session = await harness.Engine.WaitForSessionAsync(1).Within();
        await harness.Worker.WaitForServingAsync(1);

        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(2));
        Assert.That(harness.Time.TimersAmong(Ms(5), Ms(10), Ms(20)), Is.EqualTo(new[] { Ms(5) }), "exactly one 5 ms sleep");
        Assert.That(harness.Worker.CurrentRegistration?.WorkerId, Is.EqualTo(session.WorkerId));
        await harness.StopAsync();
    }

    [TestCase(false, TestName = "Registration_denied_PermissionDenied_fails_the_run_after_one_try_without_sleeping")]
    [TestCase(true, TestName = "Registration_denied_PermissionDenied_after_headers_fails_the_run_after_one_try_without_sleeping")]
    public async Task Registration_denied(bool afterHeaders)
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        harness.Engine.Script(ConnectionScript.Refuse(Denied("namespace 'billing' is not granted"), afterHeaders));
        harness.Start();

        var error = await harness.RunFailureAsync();

        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(error.StatusDetail, Is.EqualTo("namespace 'billing' is not granted"));
        Assert.That(error.IsRetryable, Is.False);
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(1));
        Assert.That(harness.Engine.Registrations, Has.Count.EqualTo(1), "the engine read the registration it refused");
        Assert.That(harness.Time.TimersAmong(Ms(5), Ms(10), Ms(20)), Is.Empty, "no sleep");
    }

    [TestCase(false, TestName = "Connect_Unauthenticated_fails_the_run_after_one_try_without_sleeping")]
    [TestCase(true, TestName = "Connect_Unauthenticated_stays_final_at_establishment_even_with_a_token_provider")]
    public async Task Connect_unauthenticated(bool withProvider)
    {
        await using var harness = WorkerHarness.Create(Echo, options =>
        {
            WorkerOptions()(options);
            if (withProvider)
            {
                options.BearerTokenProvider = _ => ValueTask.FromResult("fresh-token");
            }
        });
        harness.Engine.Script(ConnectionScript.FailConnect(new Status(StatusCode.Unauthenticated, "bad credentials")));
        harness.Start();

        var error = await harness.RunFailureAsync();

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Status));
        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(error.StatusDetail, Is.EqualTo("bad credentials"));
        Assert.That(error.IsRetryable, Is.False);
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(1));
        Assert.That(harness.Time.TimersAmong(Ms(5), Ms(10), Ms(20)), Is.Empty, "no sleep");
    }

    [Test]
    public async Task Connect_always_unavailable_sleeps_5_then_10_ms_and_fails_the_run_with_the_retryable_error()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        harness.Engine.Script(
            ConnectionScript.FailConnect(Unavailable("down 1")),
            ConnectionScript.FailConnect(Unavailable("down 2")),
            ConnectionScript.FailConnect(Unavailable("down 3")));
        harness.Start();
        var sleeps = new Sleeps(harness.Time);

        await sleeps.PassAsync(Ms(5));
        await sleeps.PassAsync(Ms(10));
        var error = await harness.RunFailureAsync();

        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.Unavailable));
        Assert.That(error.StatusDetail, Is.EqualTo("down 3"), "the last try's error");
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(3));
        Assert.That(harness.Time.TimersAmong(Ms(5), Ms(10), Ms(20)), Is.EqualTo(new[] { Ms(5), Ms(10) }), "no sleep after the last try");
        Assert.That(harness.Logs.GetSnapshot().Count(e => e.Id.Id == 6), Is.EqualTo(1), "establishment gave up");
    }

    [Test]
    public async Task RetryFirstConnectForever_keeps_trying_the_first_establishment_but_not_later_ones()
    {
        await using var harness = WorkerHarness.Create(Echo, options =>
        {
            WorkerOptions()(options);
            options.Reconnect.RetryFirstConnectForever = true;
        });
        for (var i = 1; i <= 10; i++)
        {
            harness.Engine.Script(ConnectionScript.FailConnect(Unavailable($"down {i}")));
        }

        harness.Start();
        var sleeps = new Sleeps(harness.Time);
        TimeSpan[] expected = [Ms(5), Ms(10), Ms(20), Ms(20), Ms(20), Ms(20), Ms(20), Ms(20), Ms(20), Ms(20)];
        foreach (var sleep in expected)
        {
            await sleeps.PassAsync(sleep);
        }

        var session = await harness.Engine.WaitForSessionAsync(1).Within();
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(11), "10 failed tries, then success");
        Assert.That(harness.Time.TimersAmong(Ms(5), Ms(10), Ms(20)), Is.EqualTo(expected));
        Assert.That(harness.Run!.IsCompleted, Is.False);

        // A later establishment is bounded by MaxAttempts again.
        harness.Engine.Script(
            ConnectionScript.FailConnect(Unavailable("again 1")),
            ConnectionScript.FailConnect(Unavailable("again 2")),
            ConnectionScript.FailConnect(Unavailable("again 3")));
        await harness.Worker.WaitForServingAsync(1);
        session.Fail(Unavailable("session lost"));
        await sleeps.PassAsync(Ms(5));
        await sleeps.PassAsync(Ms(5));
        await sleeps.PassAsync(Ms(10));
        var error = await harness.RunFailureAsync();

        Assert.That(error.StatusDetail, Is.EqualTo("again 3"));
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(14));
    }
}
