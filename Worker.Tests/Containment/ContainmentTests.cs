using System.Globalization;
using Aion.Worker.Internal.Session;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Containment;

/// <summary>CONFORMANCE #44 and #48 in memory: lost acks cannot livelock the run, and the tracker is bounded by bytes as well as count.</summary>
public sealed class ContainmentTests
{
    private const int OneMiB = 1024 * 1024;

    [Test]
    [CancelAfter(90_000)]
    public async Task Lost_acks_behind_more_task_frames_than_the_queue_holds_do_not_livelock_and_all_2000_tasks_complete()
    {
        await using var harness = WorkerHarness.Create(b => LostAckScenario.Echo(b), LostAckScenario.Configure);
        await harness.StartAndRegisterAsync();

        await LostAckScenario.AllTasksCompleteAsync(harness.Worker, harness.Engine, harness.Time);

        await harness.StopAsync();
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Beyond_the_read_past_byte_bound_the_run_fails_within_MaxAttempts_stalled_sessions_with_the_stall_error()
    {
        // 40 tasks of 512 KiB: 20 MiB of task frames ahead of the replay's ack, over the 16 MiB read-past bound.
        const int Tasks = 40;
        var input = new string('x', OneMiB / 2);
        await using var harness = WorkerHarness.Create(b => b.AddActivity<string, int>("measure", (text, _) => text.Length), options =>
        {
            LostAckScenario.Configure(options);
            options.MaxConcurrency = 1;
            options.MaxUnackedResults = 1;
            options.MaxQueuedTasks = 1;
        });
        var sessions = new SessionRecorder(harness.Worker);
        await harness.StartAndRegisterAsync();
        LostAckScenario.LoseFirstSessionAcks(harness.Engine);
        for (var n = 0; n < Tasks; n++)
        {
            harness.Engine.Dispatch("measure", input);
        }

        var inbound = harness.Worker.Runtime.Pipeline!.Inbound;
        TimeSpan[] backoffs = [LostAckScenario.InitialBackoff, LostAckScenario.InitialBackoff * 2];
        for (var session = 1; session <= 3; session++)
        {
            await harness.Engine.WaitForSessionAsync(session).Within();
            await Poll.UntilAsync(() => harness.Worker.Runtime.Pipeline?.Inbound.ReadPastExhausted == true && harness.Worker.UnackedResults == 1, $"session {session} to read past up to the byte bound");
            Assert.That(inbound.QueuedBytes, Is.GreaterThanOrEqualTo(AionWorkerOptions.ReadPastByteLimit));
            Assert.That(inbound.Count, Is.LessThan(Tasks - 1), "the ack sits behind task frames the worker did not read");
            harness.Time.Advance(LostAckScenario.MaxBackoff, TimeSpan.FromMilliseconds(5));
            var end = await sessions.WaitForEndAsync(session);
            Assert.That(end.End.Healthy, Is.False, $"stalled session {session} is not healthy");
            Assert.That(end.Drops, Is.EqualTo(session));
            if (session < 3)
            {
                await harness.Time.WaitForTimerAsync(backoffs[session - 1]);
                harness.Time.Advance(backoffs[session - 1]);
            }
        }

        var error = await harness.RunFailureAsync();
        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.UnackedResultsStalled));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(error.Message, Does.Contain("1 results of ").And.Contain("bytes tracked"));
        Assert.That(error.Message, Does.Contain("MaxUnackedResults 1").And.Contain(string.Create(CultureInfo.InvariantCulture, $"MaxUnackedResultBytes {AionWorkerOptions.DefaultMaxUnackedResultBytes} bytes")));
        Assert.That(error.Message, Does.Contain(string.Create(CultureInfo.InvariantCulture, $"read-past bound of {AionWorkerOptions.ReadPastByteLimit} bytes")));
        Assert.That(harness.Engine.AcceptedSessions, Has.Count.EqualTo(3));
    }

    [Test]
    public void A_stalled_session_is_never_healthy_however_long_it_lasted_or_whatever_it_sent()
    {
        var registration = new WorkerRegistration(1, "default", TimeSpan.FromSeconds(30));
        var stalled = new AionWorkerException(AionErrorKind.UnackedResultsStalled, "stalled");
        var other = new AionWorkerException(AionErrorKind.Protocol, "other");

        var end = SessionEndClassifier.Classify(SessionEndKind.Error, stalled, drainSeen: false, liveResultSent: true, TimeSpan.FromMinutes(5), registration, TimeSpan.FromMilliseconds(200), hasTokenProvider: false);
        var otherEnd = SessionEndClassifier.Classify(SessionEndKind.Error, other, drainSeen: false, liveResultSent: true, TimeSpan.FromMinutes(5), registration, TimeSpan.FromMilliseconds(200), hasTokenProvider: false);

        Assert.That(end.Healthy, Is.False);
        Assert.That(otherEnd.Healthy, Is.True);
    }

    [Test]
    public async Task Results_of_1_MiB_with_acks_withheld_stop_admission_at_MaxUnackedResultBytes_before_MaxUnackedResults()
    {
        var started = 0;
        await using var harness = WorkerHarness.Create(b => b.AddActivity<int, string>("big", (n, _) =>
        {
            Interlocked.Increment(ref started);
            return new string('y', OneMiB);
        }), options =>
        {
            options.MaxConcurrency = 1;
            options.MaxUnackedResults = 100;
            options.MaxUnackedResultBytes = 3L * OneMiB;
        }, new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        var session = await harness.StartAndRegisterAsync();

        var tasks = Enumerable.Range(0, 6).Select(n => harness.Engine.Dispatch("big", n)).ToArray();

        // Two results (2 MiB + framing) leave room; the third takes the tracker past 3 MiB: no fourth task starts.
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 3, "three results to be tracked");
        await Poll.HoldsAsync(() => Volatile.Read(ref started) == 3, "no task starts while the tracked bytes reach the bound");
        Assert.That(harness.Worker.Runtime.Tracker.Bytes, Is.GreaterThanOrEqualTo(3L * OneMiB));
        Assert.That(harness.Worker.UnackedResults, Is.LessThan(100), "the byte bound, not the count bound, stopped admission");

        session.AckPending();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 3 && Volatile.Read(ref started) == 6, "the acks freed room for the other three");
        await Task.WhenAll(tasks.Select(t => t.Result)).Within();
        session.AckPending();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "every result acked");
        await harness.StopAsync();
    }
}
