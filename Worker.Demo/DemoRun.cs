using System.Diagnostics;
using Aion.Worker.Protocol;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Demo;

/// <summary>The demo's two modes, once the command line is valid.</summary>
internal static class DemoRun
{
    /// <summary>Runs the demo activities on an embedded in-memory engine: the tasks, progress and a summary.</summary>
    public static async Task<int> InMemoryAsync(DemoSettings settings)
    {
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console => console.SingleLine = true)
            .SetMinimumLevel(LogLevel.Warning));

        var engine = new InMemoryEngine(new InMemoryEngineOptions { HeartbeatWindow = TimeSpan.FromSeconds(30) });
        var completed = 0L;
        var failed = 0L;
        engine.OnResultReceived = received =>
        {
            if (received.Result.OutcomeCase == ActivityResult.OutcomeOneofCase.Result)
            {
                Interlocked.Increment(ref completed);
            }
            else
            {
                Interlocked.Increment(ref failed);
            }
        };

        var worker = AionWorker.CreateBuilder(new AionWorkerOptions
            {
                TaskQueue = "demo",
                Identity = "demo-worker",
                MaxConcurrency = settings.Concurrency,
                Reconnect = new ReconnectOptions
                {
                    InitialBackoff = TimeSpan.FromMilliseconds(100),
                    MaxBackoff = TimeSpan.FromSeconds(5),
                    MaxAttempts = 5,
                },
            })
            .AddDemoActivities()
            .UseInMemory(engine)
            .UseLoggerFactory(loggerFactory)
            .Build();

        using var shutdown = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            shutdown.Cancel();
        };

        var taskCount = settings.Tasks;
        Console.WriteLine($"Aion.Worker demo: {taskCount:N0} tasks, concurrency {settings.Concurrency}, in-memory engine");
        var run = worker.RunAsync(shutdown.Token);
        var session = await engine.WaitForSessionAsync(1, shutdown.Token);
        Console.WriteLine($"registered as worker {session.WorkerId} for [{string.Join(", ", worker.ActivityTypes)}]");

        var clock = Stopwatch.StartNew();
        var dispatched = new List<DispatchedTask>(taskCount);
        for (var i = 1; i <= taskCount; i++)
        {
            dispatched.Add((i % 3) switch
            {
                0 => engine.Dispatch(DemoActivities.Greet, new DemoActivities.GreetInput($"worker #{i}")),
                1 => engine.Dispatch(DemoActivities.Flaky, new DemoActivities.FlakyInput(i)),
                _ => engine.Dispatch(DemoActivities.Progress, new DemoActivities.ProgressInput(3)),
            });
        }

        var progress = ProgressReporter.ForConsole();
        var all = Task.WhenAll(dispatched.Select(d => d.Result));
        while (!all.IsCompleted && !shutdown.IsCancellationRequested)
        {
            await Task.WhenAny(all, Task.Delay(progress.Interval));
            if (all.IsCompleted && !progress.Live)
            {
                break;
            }

            var done = Interlocked.Read(ref completed);
            var bad = Interlocked.Read(ref failed);
            progress.Report($"  reported {done + bad,7:N0} / {taskCount:N0}   completed {done,7:N0}   failed {bad,5:N0}   progress heartbeats {session.Heartbeats.Count,7:N0}");
        }

        clock.Stop();
        progress.Complete();
        shutdown.Cancel();
        await run;

        var heartbeats = engine.Heartbeats.Count(h => h.HasProgress);
        var reported = dispatched.Count(d => d.IsCompleted);
        var elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"summary: {reported:N0} of {taskCount:N0} tasks reported in {elapsed:F2} s ({reported / Math.Max(elapsed, 1e-9):N0} tasks/s); completed {completed:N0}, failed {failed:N0}, progress heartbeats {heartbeats:N0}");
        return reported == taskCount ? 0 : 1;
    }

    /// <summary>Serves the demo activities against a real Aion engine over gRPC until Ctrl+C; the engine pushes the tasks.</summary>
    public static async Task<int> ServeAsync(ServeSettings settings)
    {
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console => console.SingleLine = true)
            .SetMinimumLevel(LogLevel.Information));

        AionWorker worker;
        try
        {
            worker = AionWorker.CreateBuilder(new AionWorkerOptions
                {
                    Namespaces = settings.Namespaces is null ? null : [.. settings.Namespaces],
                    TaskQueue = settings.TaskQueue,
                    BearerToken = settings.Token,
                    Identity = "demo-worker",
                    MaxConcurrency = settings.Concurrency,
                    Reconnect = new ReconnectOptions
                    {
                        InitialBackoff = TimeSpan.FromMilliseconds(200),
                        MaxBackoff = TimeSpan.FromSeconds(10),
                        MaxAttempts = 10,
                        RetryFirstConnectForever = true,
                    },
                })
                .AddDemoActivities()
                .UseGrpc(settings.Endpoint)
                .UseLoggerFactory(loggerFactory)
                .Build();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // Options the command line cannot check (a namespace with a bad character, a bad token).
            Console.Error.WriteLine(ex.Message);
            return Cli.Cli.UsageError;
        }

        using var shutdown = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            shutdown.Cancel();
        };

        worker.SessionStarted += (_, e) => Console.WriteLine($"registered as worker {e.Registration.WorkerId} in '{e.Registration.Namespace}' for [{string.Join(", ", worker.ActivityTypes)}]");
        Console.WriteLine($"Aion.Worker demo: serving {settings.Endpoint} (Ctrl+C to stop)");
        try
        {
            await worker.RunAsync(shutdown.Token);
            return 0;
        }
        catch (AionWorkerException ex)
        {
            Console.Error.WriteLine($"the worker stopped: {ex.Message}");
            return 1;
        }
    }
}
