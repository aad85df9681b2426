using System.Diagnostics;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;

namespace Aion.Worker.Tests.InMemory;

/// <summary>
/// The in-memory engine's own memory is bounded by what is live, not by how many sessions it
/// served: an ended session keeps a summary (ids, registration, metadata, status, counts, recorded
/// frames) and releases its queues and its stream — frames the worker never read, frames queued
/// behind the end, withheld acks.
/// </summary>
[NonParallelizable]
public sealed class InMemoryEngineMemoryTests
{
    private const int InputBytes = 16 * 1024;
    private const int UnreadPerSession = 32;
    private static readonly long Allowance = 16L * 1024 * 1024;

    [Test]
    [CancelAfter(60_000)]
    public async Task Heap_after_200_sessions_with_traffic_stays_within_16_MiB_of_heap_after_20_and_every_session_keeps_its_summary()
    {
        // Heartbeat window 0: no liveness beats, so what the engine records grows only with results (small here).
        var engine = new InMemoryEngine(new InMemoryEngineOptions { HeartbeatWindow = TimeSpan.Zero });
        var worker = AionWorker.CreateBuilder(new AionWorkerOptions
            {
                TaskQueue = "memory",
                Identity = "memory-worker",
                MaxConcurrency = 2,
                Reconnect = new ReconnectOptions
                {
                    InitialBackoff = TimeSpan.FromMilliseconds(1),
                    MaxBackoff = TimeSpan.FromMilliseconds(5),
                    MaxAttempts = 1000,
                },
                RegisterTimeout = TimeSpan.FromSeconds(10),
                SendTimeout = TimeSpan.FromSeconds(10),
            })
            .AddActivity<string, int>("test.length", (input, _) => input.Length)
            .UseInMemory(engine)
            .Build();
        using var runner = new WorkerRunner();
        _ = runner.Start(worker);
        var clock = Stopwatch.StartNew();

        long heapAfter20 = 0;
        for (var number = 1; number <= 200; number++)
        {
            var session = await engine.WaitForSessionAsync(number).Within();

            // The tasks the previous session left unread came back here at the head and completed.
            await engine.WaitUntilAsync(() => engine.OpenTasks == 0).Within();

            // A task frame with attempt 0 is a decode error: the worker ends the session at once, so
            // the fresh tasks behind it (each with its own 16 KiB input) stay unread in the stream.
            session.SendTask(Malformed());
            for (var i = 0; i < UnreadPerSession; i++)
            {
                engine.Dispatch("test.length", new string((char)('a' + (i % 26)), InputBytes));
            }

            // Frames queued behind the end are never written: the engine lets them go too.
            await session.Completion.Within();
            session.Ack("no-such-workflow", 1);
            if (number == 20)
            {
                heapAfter20 = Heap();
            }
        }

        await engine.WaitForSessionAsync(201).Within();
        await engine.WaitUntilAsync(() => engine.OpenTasks == 0).Within();
        var heapAfter200 = Heap();
        TestContext.Progress.WriteLine(
            $"in-memory engine: heap after 20 sessions {heapAfter20 / 1024.0 / 1024:F1} MiB, after 200 {heapAfter200 / 1024.0 / 1024:F1} MiB " +
            $"(+{(heapAfter200 - heapAfter20) / 1024.0 / 1024:F1} MiB), {engine.Results.Count} results, {clock.ElapsedMilliseconds} ms");

        Assert.That(heapAfter200, Is.LessThanOrEqualTo(heapAfter20 + Allowance), "ended sessions must not keep their queues");

        var sessions = engine.Sessions;
        Assert.That(sessions, Has.Count.GreaterThanOrEqualTo(201));
        for (var i = 0; i < 200; i++)
        {
            var ended = sessions[i];
            Assert.That(ended.Number, Is.EqualTo(i + 1));
            Assert.That(ended.IsOpen, Is.False);
            Assert.That(ended.IsAccepted, Is.True);
            Assert.That(ended.WorkerId, Is.EqualTo((ulong)(i + 1)));
            Assert.That(ended.Registration!.TaskQueue, Is.EqualTo("memory"));
            Assert.That(ended.Metadata.Namespaces, Is.EqualTo(new[] { "default" }));
            Assert.That(ended.WorkerClosed, Is.True, "the worker left after the decode error");
            Assert.That(ended.Completion.Result.StatusCode, Is.EqualTo(StatusCode.OK));
            Assert.That(ended.ResultCount, Is.EqualTo(ended.Results.Count), "recorded frames are part of the summary");
            Assert.That(ended.FramesUnreadByWorker, Is.Zero, "an ended session holds no frames");
        }

        Assert.That(sessions.Skip(1).Take(199).All(s => s.ResultCount >= UnreadPerSession), Is.True, "every session after the first completed the tasks the one before left unread");
        await runner.StopAsync();
    }

    private static ActivityTask Malformed() => new()
    {
        WorkflowId = new WorkflowId { Uuid = Guid.NewGuid().ToString() },
        ActivityId = new ActivityId { SequencePosition = 1 },
        ActivityType = "test.length",
        Input = new Payload { ContentType = "application/json", Bytes = Google.Protobuf.ByteString.CopyFromUtf8("\"x\"") },
        Attempt = 0,
    };

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
