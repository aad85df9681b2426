using Aion.Worker.Extensions.Hosting;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aion.Worker.Tests.Hosting;

public sealed class HostedWorkerTests
{
    private sealed record Order(int Id);

    private sealed record Receipt(int Id, int ScopeId);

    /// <summary>A scoped dependency that records when its scope ends.</summary>
    private sealed class ScopedLedger : IAsyncDisposable
    {
        private static int _created;

        public ScopedLedger(ScopeLog log)
        {
            Id = Interlocked.Increment(ref _created);
            Log = log;
            log.Created(this);
        }

        public int Id { get; }

        public ScopeLog Log { get; }

        public Func<bool>? OnDispose { get; set; }

        public async ValueTask DisposeAsync()
        {
            await Log.DisposeGate;
            Log.Disposed(this, OnDispose?.Invoke() ?? false);
        }
    }

    /// <summary>Records scopes as they are created and disposed; a test waits on its own events, not the engine's.</summary>
    private sealed class ScopeLog
    {
        private readonly Lock _gate = new();
        private readonly List<int> _created = [];
        private readonly List<(int Id, bool OutcomeTracked)> _disposed = [];
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Every disposal waits for this first (completed unless a test holds disposals back).</summary>
        public Task DisposeGate { get; set; } = Task.CompletedTask;

        public IReadOnlyList<int> CreatedIds
        {
            get
            {
                lock (_gate)
                {
                    return [.. _created];
                }
            }
        }

        public IReadOnlyList<(int Id, bool OutcomeTracked)> DisposedIds
        {
            get
            {
                lock (_gate)
                {
                    return [.. _disposed];
                }
            }
        }

        public void Created(ScopedLedger ledger)
        {
            lock (_gate)
            {
                _created.Add(ledger.Id);
            }
        }

        public void Disposed(ScopedLedger ledger, bool outcomeTracked)
        {
            TaskCompletionSource changed;
            lock (_gate)
            {
                _disposed.Add((ledger.Id, outcomeTracked));
                changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        }

        /// <summary>Waits (bounded) until <paramref name="count"/> scopes were disposed.</summary>
        public async Task WaitForDisposedAsync(int count)
        {
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    if (_disposed.Count >= count)
                    {
                        return;
                    }

                    changed = _changed.Task;
                }

                await changed.Within();
            }
        }
    }

    private sealed class ChargeActivity(ScopedLedger ledger, AionWorkerRegistry workers) : IActivity<Order, Receipt>
    {
        public Task<Receipt> ExecuteAsync(Order input, ActivityContext context)
        {
            // When the scope ends, the outcome must already be in the worker's tracker (acks are withheld).
            ledger.OnDispose = () => workers.Find(AionWorkerServiceCollectionExtensions.DefaultName)!.UnackedResults > 0;
            return Task.FromResult(new Receipt(input.Id, ledger.Id));
        }
    }

    private sealed class LedgerInterceptor(ScopedLedger ledger) : IActivityInterceptor
    {
        public static List<(int ScopeId, string Type)> Seen { get; } = [];

        public async ValueTask<Payload> InterceptAsync(ActivityContext context, Payload input, ActivityInvocation continuation)
        {
            lock (Seen)
            {
                Seen.Add((ledger.Id, context.ActivityType));
            }

            return await continuation(context, input);
        }
    }

    private static AionWorkerOptions Options(string taskQueue = "hosted") => new()
    {
        TaskQueue = taskQueue,
        Identity = "hosted-" + Guid.NewGuid().ToString("N")[..8],
        MaxConcurrency = 2,
        Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(200), MaxAttempts = 3 },
    };

    private static void Copy(AionWorkerOptions from, AionWorkerOptions to)
    {
        to.TaskQueue = from.TaskQueue;
        to.Identity = from.Identity;
        to.MaxConcurrency = from.MaxConcurrency;
        to.Reconnect = from.Reconnect;
    }

    /// <param name="slowDispose">
    /// The scopes' disposal is held until every result reached the engine, so it happens after the
    /// engine's last event (acks are withheld): a wait on engine events would never see it.
    /// </param>
    [TestCase(false)]
    [TestCase(true)]
    public async Task Class_activity_is_resolved_from_a_fresh_scope_per_execution_disposed_after_the_outcome_is_tracked(bool slowDispose)
    {
        var engine = new InMemoryEngine(new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        var log = new ScopeLog();
        var disposals = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (slowDispose)
        {
            log.DisposeGate = disposals.Task;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(log);
        builder.Services.AddScoped<ScopedLedger>();

        // Three slots: a held disposal keeps its slot, and all three executions must reach the engine.
        builder.Services.AddAionWorker(options =>
            {
                Copy(Options(), options);
                options.MaxConcurrency = 3;
            })
            .AddActivity<ChargeActivity, Order, Receipt>("billing.charge")
            .AddInterceptor<LedgerInterceptor>()
            .UseTransport(_ => engine.CreateTransport());
        using var host = builder.Build();
        await host.StartAsync().Within();

        var session = await engine.WaitForSessionAsync(1).Within();
        var tasks = Enumerable.Range(1, 3).Select(i => engine.Dispatch("billing.charge", new Order(i))).ToArray();
        var results = await Task.WhenAll(tasks.Select(t => t.Result)).Within();
        // Scopes are disposed right after the outcome is recorded, possibly after the engine's last
        // event: wait on the scope log's own events, not the engine's.
        disposals.SetResult();
        await log.WaitForDisposedAsync(3);
        session.AckPending();
        await host.StopAsync().Within();

        var scopeIds = results.Select(r => System.Text.Json.JsonDocument.Parse(r.Result.Bytes.ToStringUtf8()).RootElement.GetProperty("scopeId").GetInt32()).ToArray();
        Assert.That(scopeIds.Distinct().Count(), Is.EqualTo(3), "one scope per execution");
        Assert.That(log.DisposedIds.Select(d => d.Id), Is.EquivalentTo(scopeIds), "every scope disposed");
        Assert.That(log.DisposedIds.All(d => d.OutcomeTracked), Is.True, "disposed only once the outcome was in the tracker");
        lock (LedgerInterceptor.Seen)
        {
            foreach (var id in scopeIds)
            {
                Assert.That(LedgerInterceptor.Seen, Does.Contain((id, "billing.charge")), "the interceptor saw the execution's own scope");
            }
        }
    }

    [Test]
    public async Task Options_bind_from_configuration()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Aion:Worker:TaskQueue"] = "billing",
            ["Aion:Worker:Identity"] = "billing-1",
            ["Aion:Worker:MaxConcurrency"] = "8",
            ["Aion:Worker:Namespaces:0"] = "payments",
            ["Aion:Worker:Namespaces:1"] = "refunds",
            ["Aion:Worker:SendTimeout"] = "00:00:03",
            ["Aion:Worker:Reconnect:InitialBackoff"] = "00:00:00.100",
            ["Aion:Worker:Reconnect:MaxBackoff"] = "00:00:05",
            ["Aion:Worker:Reconnect:MaxAttempts"] = "7",
        });
        builder.Services.AddAionWorker("billing", builder.Configuration.GetSection("Aion:Worker"))
            .AddActivity<Order, Receipt>("billing.charge", (order, _) => new Receipt(order.Id, 0));
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptionsMonitor<AionWorkerOptions>>().Get("billing");

        Assert.That(options.TaskQueue, Is.EqualTo("billing"));
        Assert.That(options.Identity, Is.EqualTo("billing-1"));
        Assert.That(options.MaxConcurrency, Is.EqualTo(8));
        Assert.That(options.Namespaces, Is.EqualTo(new[] { "payments", "refunds" }));
        Assert.That(options.SendTimeout, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(options.Reconnect.InitialBackoff, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
        Assert.That(options.Reconnect.MaxBackoff, Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That(options.Reconnect.MaxAttempts, Is.EqualTo(7));
    }

    [Test]
    public async Task Invalid_options_fail_host_start_with_every_problem_at_once()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Aion:Worker:TaskQueue"] = "billing",
            ["Aion:Worker:MaxConcurrency"] = "0",
            ["Aion:Worker:Namespaces:0"] = "a,b",
            ["Aion:Worker:Reconnect:InitialBackoff"] = "00:00:00",
            ["Aion:Worker:Reconnect:MaxBackoff"] = "00:00:05",
            ["Aion:Worker:Reconnect:MaxAttempts"] = "0",
        });
        builder.Services.AddAionWorker("billing", builder.Configuration.GetSection("Aion:Worker"))
            .AddActivity<Order, Receipt>("billing.charge", (order, _) => new Receipt(order.Id, 0));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures, Has.Some.Contains("Identity"));
        Assert.That(error.Failures, Has.Some.Contains("MaxConcurrency"));
        Assert.That(error.Failures, Has.Some.Contains("Namespaces[0]"));
        Assert.That(error.Failures, Has.Some.Contains("Reconnect.InitialBackoff"));
        Assert.That(error.Failures, Has.Some.Contains("Reconnect.MaxAttempts"));
    }

    [Test]
    public async Task Host_stop_cancels_running_activities_and_reports_their_results_on_the_open_stream()
    {
        var engine = new InMemoryEngine();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAionWorker(options => Copy(Options(), options))
            .AddActivity<Order, Receipt>("billing.slow", async (order, context) =>
            {
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
                return new Receipt(order.Id, 0);
            })
            .UseTransport(_ => engine.CreateTransport());
        using var host = builder.Build();
        await host.StartAsync().Within();
        var session = await engine.WaitForSessionAsync(1).Within();
        var task = engine.Dispatch("billing.slow", new Order(1));
        await started.Task.Within();

        await host.StopAsync().Within();

        var result = await task.Result.Within();
        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Retryable));
        Assert.That(result.Error.Message, Does.Contain("shutting down"));
        Assert.That(session.Results, Has.Count.EqualTo(1), "reported on the open stream");
        Assert.That(session.WorkerClosed, Is.True);
    }

    [Test]
    public async Task Several_workers_share_a_host_for_different_task_queues()
    {
        var engineA = new InMemoryEngine();
        var engineB = new InMemoryEngine();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAionWorker("a", options => Copy(Options("queue-a"), options))
            .AddActivity<Order, Receipt>("a.work", (order, _) => new Receipt(order.Id, 1))
            .UseTransport(_ => engineA.CreateTransport());
        builder.Services.AddAionWorker("b", options => Copy(Options("queue-b"), options))
            .AddActivity<Order, Receipt>("b.work", (order, _) => new Receipt(order.Id, 2))
            .UseTransport(_ => engineB.CreateTransport());
        using var host = builder.Build();
        await host.StartAsync().Within();

        var a = await engineA.Dispatch("a.work", new Order(1)).Result.Within();
        var b = await engineB.Dispatch("b.work", new Order(2)).Result.Within();
        await host.StopAsync().Within();

        Assert.That(a.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"id":1,"scopeId":1}"""));
        Assert.That(b.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"id":2,"scopeId":2}"""));
        Assert.That(engineA.Registrations.Single().TaskQueue, Is.EqualTo("queue-a"));
        Assert.That(engineB.Registrations.Single().TaskQueue, Is.EqualTo("queue-b"));
        var registry = host.Services.GetRequiredService<AionWorkerRegistry>();
        Assert.That(registry.Find("a"), Is.Not.Null.And.Not.SameAs(registry.Find("b")));
    }

    [Test]
    public async Task Hosted_worker_retries_its_first_connect_forever_by_default_and_can_fail_fast()
    {
        var engine = new InMemoryEngine();
        engine.Script(Enumerable.Range(0, 5).Select(_ => ConnectionScript.FailConnect(new global::Grpc.Core.Status(global::Grpc.Core.StatusCode.Unavailable, "engine not up yet"))).ToArray());
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAionWorker(options => Copy(Options(), options))
            .AddActivity<Order, Receipt>("billing.charge", (order, _) => new Receipt(order.Id, 0))
            .UseTransport(_ => engine.CreateTransport());
        using var host = builder.Build();
        await host.StartAsync().Within();

        // Five failed connects exceed MaxAttempts (3), yet the worker keeps trying and registers.
        await engine.WaitForSessionAsync(1).Within();
        Assert.That(engine.ConnectAttempts, Is.EqualTo(6));
        await host.StopAsync().Within();

        var failFastEngine = new InMemoryEngine();
        failFastEngine.Script(Enumerable.Range(0, 5).Select(_ => ConnectionScript.FailConnect(new global::Grpc.Core.Status(global::Grpc.Core.StatusCode.Unavailable, "down"))).ToArray());
        var failFast = Host.CreateApplicationBuilder();
        failFast.Services.AddAionWorker(options => Copy(Options(), options))
            .AddActivity<Order, Receipt>("billing.charge", (order, _) => new Receipt(order.Id, 0))
            .UseTransport(_ => failFastEngine.CreateTransport())
            .ConfigureHosting(hosting => hosting.FailFastOnStartup = true);
        using var failing = failFast.Build();
        var lifetime = failing.Services.GetRequiredService<IHostApplicationLifetime>();
        await failing.StartAsync().Within();

        await Task.Delay(Timeout.Infinite, lifetime.ApplicationStopping).ContinueWith(_ => { }).Within();
        Assert.That(failFastEngine.ConnectAttempts, Is.EqualTo(3), "MaxAttempts tries, then the application stops");
        await failing.StopAsync().Within();
    }
}
