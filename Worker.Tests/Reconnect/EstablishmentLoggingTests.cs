using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Logging;
using static Aion.Worker.Tests.Support.ReconnectKit;

namespace Aion.Worker.Tests.Reconnect;

/// <summary>
/// What establishment logs: a retried try is one Warning line that carries the error's message (no
/// stack trace, which goes to Debug); a token provider's exception is named by its type and a fixed
/// text, and its message (which may hold a secret) appears only at Debug.
/// </summary>
public sealed class EstablishmentLoggingTests
{
    private const int EstablishmentFailed = 5;
    private const int EstablishmentFailureDetail = 33;

    [Test]
    public async Task A_retried_connect_failure_logs_one_warning_with_the_message_and_the_stack_only_at_debug()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        harness.Engine.Script(ConnectionScript.FailConnect(Unavailable("engine starting")));
        harness.Start();

        await harness.Time.WaitForTimerCountAsync(Ms(5), 1);
        harness.Time.Advance(Ms(5));
        await harness.Engine.WaitForSessionAsync(1).Within();
        await harness.Worker.WaitForServingAsync(1);

        var warning = harness.Logs.GetSnapshot().Single(e => e.Id.Id == EstablishmentFailed);
        Assert.That(warning.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(warning.Exception, Is.Null, "no stack trace at Warning");
        Assert.That(warning.Message, Does.Contain("engine starting").And.Contain("Unavailable").And.Contain("next try in 5 ms"));
        Assert.That(warning.Message.Split('\n'), Has.Length.EqualTo(1));
        Assert.That(warning.GetStructuredStateValue("ErrorKind"), Is.EqualTo(nameof(AionErrorKind.Status)));

        var detail = harness.Logs.GetSnapshot().Single(e => e.Id.Id == EstablishmentFailureDetail);
        Assert.That(detail.Level, Is.EqualTo(LogLevel.Debug));
        Assert.That(detail.Exception, Is.TypeOf<AionWorkerException>());
        await harness.StopAsync();
    }

    [Test]
    public async Task A_token_provider_exception_is_logged_by_type_and_fixed_text_and_its_message_only_at_debug()
    {
        const string secret = "refresh-token=s3cr3t-value";
        var calls = 0;
        await using var harness = WorkerHarness.Create(Echo, options =>
        {
            WorkerOptions()(options);
            options.BearerTokenProvider = _ => Interlocked.Increment(ref calls) == 1
                ? throw new InvalidOperationException($"token endpoint said 400: {secret}")
                : ValueTask.FromResult("fresh-token");
        });
        harness.Start();

        await harness.Time.WaitForTimerCountAsync(Ms(5), 1);
        harness.Time.Advance(Ms(5));
        var session = await harness.Engine.WaitForSessionAsync(1).Within();
        await harness.Worker.WaitForServingAsync(1);

        Assert.That(session.Metadata.BearerToken, Is.EqualTo("fresh-token"), "a provider failure is retried with a fresh call");
        var warning = harness.Logs.GetSnapshot().Single(e => e.Id.Id == EstablishmentFailed);
        Assert.That(warning.Message, Does.Contain("The bearer token provider threw System.InvalidOperationException."));
        Assert.That(warning.GetStructuredStateValue("ErrorKind"), Is.EqualTo(nameof(AionErrorKind.TokenProvider)));
        foreach (var entry in harness.Logs.GetSnapshot().Where(e => e.Level > LogLevel.Debug))
        {
            Assert.That(entry.Message + entry.Exception, Does.Not.Contain(secret), $"{entry}");
        }

        var detail = harness.Logs.GetSnapshot().Single(e => e.Id.Id == EstablishmentFailureDetail);
        Assert.That(detail.Level, Is.EqualTo(LogLevel.Debug));
        Assert.That(detail.Exception!.InnerException!.Message, Does.Contain(secret), "the message is there for whoever enables Debug");
        await harness.StopAsync();
    }
}
