using System.Diagnostics;
using Aion.Worker.Protocol;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;

namespace Aion.Worker.Benchmarks.Load;

/// <summary>The memory and recovery scenarios of the load driver (in-memory transport).</summary>
internal static class Scenarios
{
    private const string Wait = "bench.wait";

    /// <summary>
    /// N activities started and awaiting one signal: managed heap after a full collection, before
    /// the tasks were sent and once every activity runs, divided by N. Includes everything either
    /// side keeps per task (the task message itself, the engine's channel, the worker's state).
    /// </summary>
    public static async Task<int> InFlightAsync(int tasks)
    {
        var count = tasks;
        var started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var engine = new InMemoryEngine(new InMemoryEngineOptions { RecordFrames = false, HeartbeatWindow = TimeSpan.Zero });
        var worker = LoadDriver.Worker(count, maxQueued: count)
            .AddActivity<Payload, Payload>(Wait, async (input, _) =>
            {
                if (Interlocked.Increment(ref started) == Volatile.Read(ref count))
                {
                    allStarted.TrySetResult();
                }

                await release.Task;
                return input;
            })
            .UseInMemory(engine)
            .Build();
        using var shutdown = new CancellationTokenSource();
        var run = worker.RunAsync(shutdown.Token);
        var session = await engine.WaitForSessionAsync(1).WaitAsync(TimeSpan.FromSeconds(30));

        // Warm-up round: the same path once, so JIT and pool growth are not counted.
        var warm = count;
        count = 100;
        await RoundAsync(engine, session, count, () => allStarted.Task, release, () => started = 0);
        count = warm;
        allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        started = 0;

        var (before, after, seconds) = await RoundAsync(engine, session, count, () => allStarted.Task, release, () => { });
        shutdown.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        using var process = Process.GetCurrentProcess();
        Console.WriteLine("| scenario | activities | heap before MiB | heap all started MiB | bytes per in-flight activity | start all s | peak WS MiB |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| in-flight awaiting a signal (in-memory) | {count:N0} | {before / 1048576.0:N1} | {after / 1048576.0:N1} | {(after - before) / (double)count:N0} | {seconds:N3} | {process.PeakWorkingSet64 / 1048576.0:N1} |");
        return 0;

        static async Task<(long Before, long After, double Seconds)> RoundAsync(InMemoryEngine engine, EngineSession session, int n, Func<Task> allStarted, TaskCompletionSource<bool> release, Action reset)
        {
            var results = 0;
            var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var workflow = new WorkflowId { Uuid = Guid.NewGuid().ToString() };
            engine.OnResultReceived = received =>
            {
                if (received.Result.WorkflowId.Uuid == workflow.Uuid && Interlocked.Increment(ref results) == n)
                {
                    finished.TrySetResult();
                }
            };
            var tasks = new ActivityTask[n];
            var input = LoadDriver.NoOpInput;
            for (var i = 0; i < n; i++)
            {
                tasks[i] = new ActivityTask { WorkflowId = workflow, ActivityId = new ActivityId { SequencePosition = (ulong)i + 1 }, ActivityType = Wait, Input = input, Attempt = 1 };
            }

            // The task messages exist before the baseline: they are the engine's, counted once.
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var clock = Stopwatch.StartNew();
            foreach (var task in tasks)
            {
                session.SendTask(task);
            }

            await allStarted().WaitAsync(TimeSpan.FromMinutes(2));
            clock.Stop();
            var after = GC.GetTotalMemory(forceFullCollection: true);
            release.TrySetResult(true);
            await finished.Task.WaitAsync(TimeSpan.FromMinutes(2));
            engine.OnResultReceived = null;
            reset();
            GC.KeepAlive(tasks);
            return (before, after, clock.Elapsed.TotalSeconds);
        }
    }

    /// <summary>
    /// N results the engine never acked (<see cref="AckMode.Withhold"/>), then an error drop of the
    /// stream: the time from the drop until the next session has received every replayed result and
    /// the worker has read every ack, minus the worker's redial backoff.
    /// </summary>
    public static async Task<int> RecoveryAsync(int tasks, int rounds)
    {
        var count = tasks;
        var backoff = TimeSpan.FromMilliseconds(50);
        Console.WriteLine("| scenario | unacked results | drop → next session accepted ms | session accepted → all replayed and acked ms | total − backoff (50 ms) ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        for (var round = 0; round < rounds; round++)
        {
            var engine = new InMemoryEngine(new InMemoryEngineOptions { RecordFrames = false, HeartbeatWindow = TimeSpan.Zero, AckMode = AckMode.Withhold });
            var worker = LoadDriver.Worker(64).UseInMemory(engine).Build();
            using var shutdown = new CancellationTokenSource();
            var run = worker.RunAsync(shutdown.Token);
            var first = await engine.WaitForSessionAsync(1).WaitAsync(TimeSpan.FromSeconds(30));
            var workflow = new WorkflowId { Uuid = Guid.NewGuid().ToString() };
            var firstResults = 0;
            var secondResults = 0;
            var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var replayed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            engine.OnResultReceived = received =>
            {
                if (received.Session.Number == 1 && Interlocked.Increment(ref firstResults) == count)
                {
                    sent.TrySetResult();
                }
                else if (received.Session.Number == 2 && Interlocked.Increment(ref secondResults) == count)
                {
                    replayed.TrySetResult();
                }
            };
            for (var i = 1; i <= count; i++)
            {
                first.SendTask(new ActivityTask { WorkflowId = workflow, ActivityId = new ActivityId { SequencePosition = (ulong)i }, ActivityType = LoadDriver.NoOp, Input = LoadDriver.NoOpInput, Attempt = 1 });
            }

            await sent.Task.WaitAsync(TimeSpan.FromMinutes(1));
            engine.AckMode = AckMode.Auto;
            var clock = Stopwatch.StartNew();
            first.Fail(new Status(StatusCode.Unavailable, "benchmark drop"));
            var second = await engine.WaitForSessionAsync(2).WaitAsync(TimeSpan.FromSeconds(30));
            var accepted = clock.Elapsed;
            await replayed.Task.WaitAsync(TimeSpan.FromMinutes(1));
            while (second.FramesUnreadByWorker > 0)
            {
                await Task.Yield();
            }

            var total = clock.Elapsed;
            Console.WriteLine($"| recovery (in-memory) | {count:N0} | {accepted.TotalMilliseconds:N1} | {(total - accepted).TotalMilliseconds:N1} | {(total - backoff).TotalMilliseconds:N1} |");
            engine.OnResultReceived = null;
            shutdown.Cancel();
            await run.WaitAsync(TimeSpan.FromSeconds(30));
        }

        return 0;
    }
}
