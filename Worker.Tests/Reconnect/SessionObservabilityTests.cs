using System.Globalization;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using static Aion.Worker.Tests.Support.ReconnectKit;

namespace Aion.Worker.Tests.Reconnect;

/// <summary>What the run exposes: the current registration, session events and structured logs.</summary>
public sealed class SessionObservabilityTests
{
    [Test]
    public async Task CurrentRegistration_and_session_events_follow_each_session()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        var recorder = new SessionRecorder(harness.Worker);
        var sleeps = new Sleeps(harness.Time);
        harness.Engine.Script(
            ConnectionScript.Accept(workerId: 41, heartbeatWindow: TimeSpan.FromSeconds(60), @namespace: "default,extra"),
            ConnectionScript.Accept(workerId: 42));
        Assert.That(harness.Worker.CurrentRegistration, Is.Null, "before the run");

        var first = await harness.StartAndRegisterAsync();
        await harness.Worker.WaitForServingAsync(1);
        var registration = harness.Worker.CurrentRegistration;

        Assert.That(registration, Is.EqualTo(new WorkerRegistration(41, "default,extra", TimeSpan.FromSeconds(60))));
        Assert.That(registration!.Namespaces, Is.EqualTo(new[] { "default", "extra" }));
        Assert.That(recorder.Started.Single().Registration, Is.EqualTo(registration));
        Assert.That(recorder.RegistrationAtStart.Single(), Is.EqualTo(registration), "set before the event is raised");

        first.Fail(Unavailable("lost"));
        var end = await recorder.WaitForEndAsync(1);
        Assert.That(end.End.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(end.End.Error!.StatusCode, Is.EqualTo(StatusCode.Unavailable));
        Assert.That(end.End.Registration?.WorkerId, Is.EqualTo(41));
        Assert.That(recorder.RegistrationAtEnd.Single(), Is.Null, "cleared when the session ended");
        Assert.That(harness.Worker.CurrentRegistration, Is.Null, "between sessions");

        await sleeps.PassAsync(Ms(5));
        await harness.Engine.WaitForSessionAsync(2).Within();
        await harness.Worker.WaitForServingAsync(2);
        Assert.That(harness.Worker.CurrentRegistration?.WorkerId, Is.EqualTo(42));
        Assert.That(recorder.Started.Select(s => s.Registration.WorkerId), Is.EqualTo(new[] { 41UL, 42UL }));

        await harness.StopAsync();
        Assert.That(recorder.Ended.Select(e => e.End.Kind), Is.EqualTo(new[] { SessionEndKind.Error, SessionEndKind.Shutdown }));
        Assert.That(harness.Worker.CurrentRegistration, Is.Null, "after the run");
    }

    [Test]
    public async Task Session_start_drop_drain_and_exhaustion_are_logged_with_structured_values()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        var recorder = new SessionRecorder(harness.Worker);
        var sleeps = new Sleeps(harness.Time);
        var identity = harness.Worker.Options.Identity;
        harness.Start();

        var first = await harness.Engine.WaitForSessionAsync(1).Within();
        await harness.Worker.WaitForServingAsync(1);
        first.Fail(Unavailable("lost 1"));
        await sleeps.PassAsync(Ms(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        second.Drain();
        await sleeps.PassAsync(Ms(5));
        var third = await harness.Engine.WaitForSessionAsync(3).Within();
        await harness.Worker.WaitForServingAsync(3);
        third.Fail(Unavailable("lost 3"));
        await sleeps.PassAsync(Ms(10));
        var fourth = await harness.Engine.WaitForSessionAsync(4).Within();
        await harness.Worker.WaitForServingAsync(4);
        fourth.Fail(Unavailable("lost 4"));
        var error = await harness.RunFailureAsync();

        var entries = harness.Logs.GetSnapshot();
        var starts = entries.Where(e => e.Id.Id == 1).ToArray();
        Assert.That(starts.Select(e => e.GetStructuredStateValue("WorkerId")), Is.EqualTo(new[] { first.WorkerId, second.WorkerId, third.WorkerId, fourth.WorkerId }.Select(Invariant)));
        Assert.That(starts.Select(e => e.GetStructuredStateValue("SessionId")), Is.EqualTo(new[] { "1", "2", "3", "4" }));
        Assert.That(starts.Select(e => e.GetStructuredStateValue("Identity")), Is.All.EqualTo(identity));
        Assert.That(starts.Select(e => e.Level), Is.All.EqualTo(LogLevel.Information));

        var drops = entries.Where(e => e.Id.Id == 2).ToArray();
        Assert.That(drops.Select(e => e.GetStructuredStateValue("EndKind")), Is.EqualTo(new[] { nameof(SessionEndKind.Error), nameof(SessionEndKind.Error), nameof(SessionEndKind.Error) }));
        Assert.That(drops.Select(e => int.Parse(e.GetStructuredStateValue("MaxAttempts")!, CultureInfo.InvariantCulture) - int.Parse(e.GetStructuredStateValue("Drops")!, CultureInfo.InvariantCulture)), Is.EqualTo(new[] { 2, 1, 0 }), "budget left");
        Assert.That(drops.Select(e => e.GetStructuredStateValue("SessionId")), Is.EqualTo(new[] { "1", "3", "4" }));

        Assert.That(entries.Single(e => e.Id.Id == 12).GetStructuredStateValue("SessionId"), Is.EqualTo("2"), "drain frame read");
        Assert.That(entries.Single(e => e.Id.Id == 3).GetStructuredStateValue("DelayMs"), Is.EqualTo("5"), "drain redial");

        var exhausted = entries.Single(e => e.Id.Id == 4);
        Assert.That(exhausted.Level, Is.EqualTo(LogLevel.Error));
        Assert.That(exhausted.GetStructuredStateValue("Drops"), Is.EqualTo("3"));
        Assert.That(exhausted.Exception, Is.SameAs(error));
        Assert.That(recorder.Drops, Is.EqualTo(new[] { 1, 1, 2, 3 }));
    }

    private static string Invariant(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
