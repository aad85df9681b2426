using System.Diagnostics;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Reconnect;

/// <summary>
/// A bounded, seeded fault-injection run: thousands of tasks while the engine ends streams cleanly
/// and with retryable statuses, drains, and loses acks. It proves no timing rule, so it runs on the
/// real clock (a few seconds at most); every loop is bounded in count and time.
/// </summary>
public sealed class FaultInjectionSoakTests
{
    private const int Seed = 20260101;
    private const int MaxConcurrency = 4;
    private const int MaxQueuedTasks = 16;
    /// <param name="maxUnackedResults">
    /// 4000: above the task count, the tracker never fills. 64: it fills again and again while acks
    /// are lost, and re-dispatched tasks fill the queue ahead of the replay's acks — the worker must
    /// read past its full queue to reach them instead of wedging on the tracker stall forever.
    /// </param>
    /// <param name="dispatchWindow">
    /// How many tasks the engine keeps open at once. The real engine buffers 32 per worker and fails
    /// dispatches beyond (plus what sits in HTTP/2 windows), so few tasks ever precede an ack.
    /// </param>
    /// <param name="TaskCount">How many tasks; the windowed run spends its time in tracker stalls, so it pushes fewer.</param>
    /// <remarks>
    /// The third case dispatches without a window while acks are lost: more re-dispatched task frames
    /// precede the replay's acks than MaxQueuedTasks plus a count-bounded read-past allowance, the rate
    /// that used to livelock the run (issue #14); read-past bounded by bytes reaches the acks.
    /// </remarks>
    [TestCase(4000, int.MaxValue, 3000)]
    [TestCase(64, 32, 1500)]
    [TestCase(64, int.MaxValue, 1500)]
    [CancelAfter(60_000)]
    public async Task Every_result_reaches_the_engine_and_is_acked_despite_drops_drains_and_lost_acks_and_no_bound_is_exceeded(int maxUnackedResults, int dispatchWindow, int TaskCount)
    {
        var MaxUnackedResults = maxUnackedResults;
        var random = new Random(Seed);
        var randomGate = new Lock();
        double Next()
        {
            lock (randomGate)
            {
                return random.NextDouble();
            }
        }

        var engine = new InMemoryEngine(new InMemoryEngineOptions()) { RedispatchLostTasks = true };
        var loseAcks = true;
        engine.AckFilter = _ => !Volatile.Read(ref loseAcks) || Next() >= 0.1;
        var logs = new FakeLogCollector();
        var worker = AionWorker.CreateBuilder(new AionWorkerOptions
            {
                TaskQueue = "soak",
                Identity = "soak-worker",
                MaxConcurrency = MaxConcurrency,
                MaxQueuedTasks = MaxQueuedTasks,
                MaxUnackedResults = MaxUnackedResults,
                RegisterTimeout = TimeSpan.FromSeconds(5),
                SendTimeout = TimeSpan.FromSeconds(5),
                Reconnect = new ReconnectOptions
                {
                    InitialBackoff = TimeSpan.FromMilliseconds(1),
                    MaxBackoff = TimeSpan.FromMilliseconds(10),
                    MaxAttempts = 1000,
                },
            })
            .AddActivity<int, int>("square", async (input, _) =>
            {
                if (input % 7 == 0)
                {
                    await Task.Yield();
                }

                return input * input;
            })
            .UseInMemory(engine)
            .UseLoggerFactory(TestLogs.Factory(logs))
            .Build();
        var drops = 0;
        worker.SessionEnded += (_, _) => Interlocked.Increment(ref drops);

        using var shutdown = new CancellationTokenSource();
        var run = Task.Run(() => worker.RunAsync(shutdown.Token));

        // Sample the bounds on a separate loop for the whole run.
        var maxRunning = 0;
        var maxUnacked = 0;
        var maxInFlight = 0;
        var maxQueuedBytes = 0L;
        using var stopSampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                maxRunning = Math.Max(maxRunning, worker.RunningActivities);
                maxUnacked = Math.Max(maxUnacked, worker.UnackedResults);
                maxInFlight = Math.Max(maxInFlight, worker.Runtime.InFlightCount);
                maxQueuedBytes = Math.Max(maxQueuedBytes, worker.Runtime.Pipeline?.Inbound.QueuedBytes ?? 0);
                await Task.Delay(1);
            }
        });

        var clock = Stopwatch.StartNew();
        var dispatched = new List<DispatchedTask>(TaskCount);
        var faults = new Dictionary<string, int> { ["end"] = 0, ["unavailable"] = 0, ["internal"] = 0, ["drain"] = 0 };
        for (var round = 0; round < 100_000 && clock.Elapsed < TimeSpan.FromSeconds(30); round++)
        {
            var batch = Math.Min(Math.Min(25, TaskCount - dispatched.Count), Math.Max(0, dispatchWindow - engine.OpenTasks));
            for (var i = 0; i < batch; i++)
            {
                var n = dispatched.Count;
                dispatched.Add(engine.Dispatch("square", n));
            }

            // Done once every task completed and every kind of fault hit at least once (a fast run
            // may finish its tasks before the dice rolled all four).
            if (dispatched.Count == TaskCount && dispatched.All(t => t.IsCompleted) && faults.Values.All(count => count > 0))
            {
                break;
            }

            if (engine.CurrentSession is { } session)
            {
                var roll = Next();
                string[] kinds = ["end", "unavailable", "internal", "drain"];
                var fault = roll < 0.07 ? kinds[faults.Values.Sum() % kinds.Length] : null;
                switch (fault)
                {
                    case "end":
                        session.End();
                        break;
                    case "unavailable":
                        session.Fail(new Status(StatusCode.Unavailable, "injected"));
                        break;
                    case "internal":
                        session.Fail(new Status(StatusCode.Internal, "injected"));
                        break;
                    case "drain":
                        session.Drain();
                        break;
                }

                if (fault is not null)
                {
                    faults[fault]++;
                }
            }

            await Task.Delay(1);
        }

        Assert.That(dispatched, Has.Count.EqualTo(TaskCount));
        await Task.WhenAll(dispatched.Select(t => t.Result)).Within(TimeSpan.FromSeconds(20));

        // Stop losing acks, then force one more replay: it gets every result still tracked acked.
        Volatile.Write(ref loseAcks, false);
        engine.CurrentSession?.End();
        await Poll.UntilAsync(() => worker.UnackedResults == 0, "every result to be acked");
        stopSampling.Cancel();
        await sampler.Within();

        Assert.That(run.IsCompleted, Is.False, $"the run survived: {run.Exception?.GetBaseException().Message}");
        shutdown.Cancel();
        await run.Within();

        TestContext.Progress.WriteLine(
            $"soak: {TaskCount} tasks, {engine.Sessions.Count} sessions, {drops} session ends, faults {string.Join(", ", faults.Select(f => $"{f.Key} {f.Value}"))}, " +
            $"{engine.Results.Count} results, max running {maxRunning}, max unacked {maxUnacked}, max in flight {maxInFlight}, {clock.ElapsedMilliseconds} ms");

        Assert.That(faults.Values.All(count => count > 0), Is.True, "every kind of fault was injected");
        var results = engine.Results;
        for (var n = 0; n < TaskCount; n++)
        {
            var task = dispatched[n];
            var result = await task.Result;
            Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo((n * n).ToString(System.Globalization.CultureInfo.InvariantCulture)), $"task {n}");
        }

        var acked = results.Where(r => r.Acked).Select(r => (r.WorkflowId, r.Position)).ToHashSet();
        Assert.That(dispatched.Count(t => !acked.Contains((t.WorkflowId, t.Position))), Is.EqualTo(0), "every task's result was acked");
        Assert.That(engine.UnexpectedFrames, Is.Empty);
        Assert.That(maxRunning, Is.LessThanOrEqualTo(MaxConcurrency));
        Assert.That(maxUnacked, Is.LessThanOrEqualTo(MaxUnackedResults));
        if (maxUnackedResults >= TaskCount)
        {
            Assert.That(maxInFlight, Is.LessThanOrEqualTo(MaxConcurrency + MaxQueuedTasks + 1), "running + queued (+ the one task waiting for queue room): the tracker never blocks, nothing is read past");
        }

        Assert.That(maxQueuedBytes, Is.LessThanOrEqualTo(AionWorkerOptions.ReadPastByteLimit), "reading past a full queue is bounded by the bytes of queued task frames");
    }
}
