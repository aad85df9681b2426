using System.Diagnostics;
using System.Runtime.InteropServices;
using Aion.Worker.Protocol;
using Aion.Worker.Transport.InMemory;
using Google.Protobuf;

namespace Aion.Worker.Benchmarks.Load;

/// <summary>
/// Runs a worker against an engine in the same process and reports tasks/s, dispatch→result
/// latency, allocated bytes and thread-pool work items per task (whole process) and peak working set.
/// </summary>
internal static partial class LoadDriver
{
    internal const string NoOp = "bench.noop";
    internal const string Json = "bench.json";

    /// <summary>Tasks pushed before each measured run unless <c>--warmup</c> says otherwise.</summary>
    internal const int DefaultWarmup = 20_000;

    /// <summary>Tasks pushed before each measured run (<c>--warmup</c>).</summary>
    private static int s_warmup = DefaultWarmup;

    internal static readonly Payload NoOpInput = new() { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8("""{"n":1}""") };
    internal static readonly Payload JsonInput = new() { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8("""{"id":42,"name":"bench","amountCents":1999,"tags":["a","b"]}""") };

    /// <summary>The throughput run (<c>load …</c>); the command line is parsed and validated by <see cref="LoadCommand"/>.</summary>
    public static async Task<int> RunAsync(LoadSettings settings)
    {
        var (transports, workloads, concurrencies, args) = (settings.Transports, settings.Workloads, settings.Concurrencies, settings.Arguments);
        s_warmup = settings.Warmup;

        Console.WriteLine($"# Aion.Worker load driver — {TimeProvider.System.GetUtcNow():yyyy-MM-dd} — {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        Console.WriteLine($"# command: dotnet run -c Release --project Worker.Benchmarks -- load {string.Join(' ', args)}");
        if (settings.WorkerProcess)
        {
            Console.WriteLine("# --worker-process: gRPC and stream rows run the worker in a child process; CPU, bytes and work items per task are the child's. In-memory rows: the whole process.");
        }

        Console.WriteLine();
        Console.WriteLine(LoadResult.Header);
        var runs = new List<LoadResult>();
        foreach (var workload in workloads)
        {
            foreach (var concurrency in concurrencies)
            {
                // Rounds alternate the transports, so every transport sees the machine's load of the same minutes.
                for (var round = 0; round < settings.Pairs; round++)
                {
                    foreach (var transport in transports)
                    {
                        var tasks = settings.Tasks ?? DefaultTasks(transport, concurrency);
                        var result = transport switch
                        {
                            "inmemory" => await InMemoryAsync(workload, concurrency, tasks),
                            "inmemory-raw" => await InMemoryRawAsync(workload, concurrency, tasks),
                            _ when settings.WorkerProcess => await ChildRowAsync(transport, workload, concurrency, tasks),
                            _ => await OtherTransportAsync(transport, workload, concurrency, tasks),
                        };
                        runs.Add(result);
                        Console.WriteLine(result.Row);
                    }
                }
            }
        }

        if (settings.Pairs > 1)
        {
            Console.WriteLine();
            Console.WriteLine($"Medians of {settings.Pairs} runs per row:");
            Console.WriteLine();
            Console.WriteLine(LoadResult.Header);
            foreach (var row in runs.GroupBy(r => (r.Transport, r.Workload, r.Concurrency)))
            {
                Console.WriteLine(LoadResult.Median([.. row]).Row);
            }
        }

        return 0;
    }

    private static int DefaultTasks(string transport, int concurrency) => (transport, concurrency) switch
    {
        ("inmemory", 1) => 200_000,
        ("inmemory", _) => 1_000_000,
        ("inmemory-raw", 1) => 200_000,
        ("inmemory-raw", _) => 1_000_000,
        (_, 1) => 20_000,
        _ => 200_000,
    };

    internal static AionWorkerBuilder Worker(int concurrency, int? maxQueued = null, bool inline = false) => AionWorker.CreateBuilder(new AionWorkerOptions
        {
            TaskQueue = "bench",
            Identity = "bench-worker",
            MaxConcurrency = concurrency,
            MaxQueuedTasks = maxQueued ?? Math.Max(64, concurrency * 4),
            MaxUnackedResults = 100_000,

            // Generous: on a loaded machine a 2 s registration or flush deadline (the MaxBackoff default)
            // ends the session the driver pushes tasks to, and the row would wait for results that never come.
            RegisterTimeout = TimeSpan.FromSeconds(30),
            SendTimeout = TimeSpan.FromSeconds(30),
            Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromSeconds(2), MaxAttempts = 5 },
        })
        .AddActivity<Payload, Payload>(NoOp, (input, _) => input, inline ? new ActivityOptions { RunInline = true } : null)
        .AddActivity<EchoRecord, EchoRecord>(Json, (input, _) => input);

    private static async Task<LoadResult> InMemoryAsync(string workload, int concurrency, int tasks)
    {
        var engine = new InMemoryEngine(new InMemoryEngineOptions { RecordFrames = false, HeartbeatWindow = TimeSpan.Zero });
        var worker = Worker(concurrency, inline: workload == "noop-inline").UseInMemory(engine).Build();
        return await DriveAsync("in-memory", engine, worker, workload, concurrency, tasks);
    }

    /// <summary>Warms up, then pushes <paramref name="tasks"/> tasks through the engine with a bounded window of outstanding tasks.</summary>
    internal static Task<LoadResult> DriveAsync(string transport, InMemoryEngine engine, AionWorker worker, string workload, int concurrency, int tasks) =>
        DriveAsync(transport, engine, worker.RunAsync, workload, concurrency, tasks);

    /// <summary>As above, with any client (<paramref name="runClient"/> runs until its token fires); with <paramref name="child"/>, the client's figures are that process's.</summary>
    internal static async Task<LoadResult> DriveAsync(string transport, InMemoryEngine engine, Func<CancellationToken, Task> runClient, string workload, int concurrency, int tasks, ChildProcess? child = null)
    {
        using var shutdown = new CancellationTokenSource();
        var run = child?.Exited ?? runClient(shutdown.Token);
        var session = await engine.WaitForSessionAsync(1).WaitAsync(TimeSpan.FromSeconds(30));
        var activityType = workload == "json" ? Json : NoOp;
        var input = workload == "json" ? JsonInput : NoOpInput;

        // JIT warm-up (tiered compilation and PGO settle) before anything is measured.
        await PushAsync(engine, session, activityType, input, concurrency, s_warmup, new LatencyRecorder(s_warmup), run);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        var latency = new LatencyRecorder(tasks);
        if (child is not null)
        {
            await child.BeginAsync();
        }

        await ProfilerControl.EnableAsync();
        var before = ProcessFigures.Take();
        var clock = Stopwatch.StartNew();
        await PushAsync(engine, session, activityType, input, concurrency, tasks, latency, run);
        clock.Stop();
        await ProfilerControl.DisableAsync();
        var measured = child is not null ? await child.EndAsync() : ProcessFigures.Take() - before;

        shutdown.Cancel();
        if (child is null)
        {
            await run.WaitAsync(TimeSpan.FromSeconds(30));
        }

        var (p50, p99) = latency.Percentiles();
        using var process = Process.GetCurrentProcess();
        return new LoadResult(
            transport,
            workload switch { "json" => "typed JSON echo", "noop-inline" => "raw no-op, inline", _ => "raw no-op" },
            concurrency,
            tasks,
            clock.Elapsed.TotalSeconds,
            p50,
            p99,
            (double)measured.AllocatedBytes / tasks,
            (double)measured.WorkItems / tasks,
            measured.CpuTime.TotalMicroseconds / tasks,
            process.PeakWorkingSet64,
            child is null ? "in-process" : "child");
    }

    private static async Task PushAsync(InMemoryEngine engine, EngineSession session, string activityType, Payload input, int concurrency, int tasks, LatencyRecorder latency, Task client)
    {
        // Concurrency 1 is ping-pong (pure latency); otherwise keep the pipeline full as the engine's buffer does.
        var window = new SemaphoreSlim(concurrency == 1 ? 1 : Math.Max(64, concurrency * 4));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var remaining = tasks;
        var workflow = new WorkflowId { Uuid = Guid.NewGuid().ToString() };
        engine.OnResultReceived = received =>
        {
            if (!ReferenceEquals(received.Result.WorkflowId, workflow) && received.Result.WorkflowId.Uuid != workflow.Uuid)
            {
                return;
            }

            latency.Completed(received.Position);
            window.Release();
            if (Interlocked.Decrement(ref remaining) == 0)
            {
                done.TrySetResult();
            }
        };

        // A client that ends mid-run opens the window, so the loop stops instead of waiting for results that never come.
        _ = client.ContinueWith(_ => window.Release(tasks), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        for (var i = 1; i <= tasks; i++)
        {
            if (!window.Wait(0))
            {
                await window.WaitAsync();
            }

            if (client.IsCompleted)
            {
                throw Stalled(client);
            }

            var position = (ulong)i;
            latency.Dispatched(position);
            session.SendTask(new ActivityTask
            {
                WorkflowId = workflow,
                ActivityId = new ActivityId { SequencePosition = position },
                ActivityType = activityType,
                Input = input,
                Attempt = 1,
            });
        }

        if (await Task.WhenAny(done.Task, client, Task.Delay(TimeSpan.FromMinutes(5))) != done.Task)
        {
            throw Stalled(client);
        }

        engine.OnResultReceived = null;
    }

    /// <summary>The run stopped making progress: the client ended (its failure, if any, is the inner exception) or no result came for too long.</summary>
    private static InvalidOperationException Stalled(Task client) => client.IsCompleted
        ? new InvalidOperationException("The worker (or bare client) stopped before every task was answered.", client.Exception?.GetBaseException())
        : new InvalidOperationException("No result arrived for too long; the run stalled.");

    internal sealed record EchoRecord(int Id, string Name, long AmountCents, string[] Tags);
}
