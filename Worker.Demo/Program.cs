using System.Diagnostics;
using Aion.Worker;
using Aion.Worker.Demo;
using Aion.Worker.Protocol;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Logging;

// The README's main job: an embedded in-memory engine, a worker with the demo activities,
// 10,000 tasks, live progress and a summary. Exit code 0 when every task was reported.
// With --endpoint <url> the same activities serve a real Aion engine over gRPC until Ctrl+C.
var taskCount = ReadInt(args, "--tasks", 10_000);
var concurrency = ReadInt(args, "--concurrency", 32);

if (ReadString(args, "--endpoint") is { } endpoint)
{
    return await ServeEngineAsync(endpoint, args, concurrency);
}

using var loggerFactory = LoggerFactory.Create(logging => logging
    .AddSimpleConsole(console => console.SingleLine = true)
    .SetMinimumLevel(LogLevel.Warning));

var engine = new InMemoryEngine(new InMemoryEngineOptions { HeartbeatWindow = TimeSpan.FromSeconds(30) });
var heartbeats = 0L;
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
        MaxConcurrency = concurrency,
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

Console.WriteLine($"Aion.Worker demo: {taskCount:N0} tasks, concurrency {concurrency}, in-memory engine");
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

var all = Task.WhenAll(dispatched.Select(d => d.Result));
while (!all.IsCompleted && !shutdown.IsCancellationRequested)
{
    await Task.WhenAny(all, Task.Delay(250));
    heartbeats = session.Heartbeats.Count;
    Console.Write($"\r  reported {Interlocked.Read(ref completed) + Interlocked.Read(ref failed),7:N0} / {taskCount:N0}   completed {Interlocked.Read(ref completed),7:N0}   failed {Interlocked.Read(ref failed),5:N0}   progress heartbeats {heartbeats,7:N0}");
}

clock.Stop();
Console.WriteLine();
shutdown.Cancel();
await run;

heartbeats = engine.Heartbeats.Count(h => h.HasProgress);
var reported = dispatched.Count(d => d.IsCompleted);
var elapsed = clock.Elapsed.TotalSeconds;
Console.WriteLine($"summary: {reported:N0} of {taskCount:N0} tasks reported in {elapsed:F2} s ({reported / Math.Max(elapsed, 1e-9):N0} tasks/s); completed {completed:N0}, failed {failed:N0}, progress heartbeats {heartbeats:N0}");
return reported == taskCount ? 0 : 1;

static int ReadInt(string[] args, string name, int fallback) =>
    int.TryParse(ReadString(args, name), out var value) ? value : fallback;

static string? ReadString(string[] args, string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

// Serves the demo activities against a real Aion engine over gRPC until Ctrl+C; the engine pushes the tasks.
static async Task<int> ServeEngineAsync(string endpoint, string[] args, int concurrency)
{
    using var loggerFactory = LoggerFactory.Create(logging => logging
        .AddSimpleConsole(console => console.SingleLine = true)
        .SetMinimumLevel(LogLevel.Information));

    if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
    {
        Console.Error.WriteLine($"--endpoint must be an absolute http:// or https:// URI (was '{endpoint}').");
        return 2;
    }

    AionWorker worker;
    try
    {
        worker = AionWorker.CreateBuilder(new AionWorkerOptions
            {
                Namespaces = ReadString(args, "--namespace") is { } ns ? [.. ns.Split(',')] : null,
                TaskQueue = ReadString(args, "--task-queue") ?? "demo",
                BearerToken = ReadString(args, "--token"),
                Identity = "demo-worker",
                MaxConcurrency = concurrency,
                Reconnect = new ReconnectOptions
                {
                    InitialBackoff = TimeSpan.FromMilliseconds(200),
                    MaxBackoff = TimeSpan.FromSeconds(10),
                    MaxAttempts = 10,
                    RetryFirstConnectForever = true,
                },
            })
            .AddDemoActivities()
            .UseGrpc(uri)
            .UseLoggerFactory(loggerFactory)
            .Build();
    }
    catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
    {
        Console.Error.WriteLine(ex.Message);
        return 2;
    }

    using var shutdown = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        shutdown.Cancel();
    };

    worker.SessionStarted += (_, e) => Console.WriteLine($"registered as worker {e.Registration.WorkerId} in '{e.Registration.Namespace}' for [{string.Join(", ", worker.ActivityTypes)}]");
    Console.WriteLine($"Aion.Worker demo: serving {uri} (Ctrl+C to stop)");
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
