using Aion.Worker.Extensions.Hosting;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using static Aion.Worker.Tests.Support.ReconnectKit;

namespace Aion.Worker.Tests.Hosting;

/// <summary>IHealthChecksBuilder.AddAionWorker: each worker state's health, with the in-memory engine and a fake clock.</summary>
public sealed class HealthCheckTests
{
    private sealed record Order(int Id);

    private static void Configure(AionWorkerOptions options, string taskQueue = "hosted")
    {
        options.TaskQueue = taskQueue;
        options.Identity = "health-" + Guid.NewGuid().ToString("N")[..8];
        options.MaxConcurrency = 2;
        options.Reconnect = new ReconnectOptions { InitialBackoff = Ms(5), MaxBackoff = Ms(20), MaxAttempts = 3 };
        options.RegisterTimeout = QuietTimeout;
        options.SendTimeout = QuietTimeout;
    }

    private static IHost Build(TestTime time, Action<HostApplicationBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(time);
        configure(builder);
        return builder.Build();
    }

    private static async Task<HealthReportEntry> CheckAsync(IHost host, string name)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == name).Within();
        return report.Entries[name];
    }

    private static Task UntilState(IHost host, string worker, AionWorkerState state) =>
        Poll.UntilAsync(() => host.Services.GetRequiredService<AionWorkerRegistry>().Find(worker)?.Status.State == state, $"'{worker}' to be {state}");

    [Test]
    public async Task Degraded_until_registered_healthy_while_registered_degraded_while_reconnecting_unhealthy_once_failed()
    {
        var time = new TestTime();
        var engine = new InMemoryEngine(new InMemoryEngineOptions { TimeProvider = time });
        engine.Script(ConnectionScript.FailConnect(Unavailable("engine not up yet")));
        using var host = Build(time, builder =>
        {
            builder.Services.AddAionWorker("billing", options => Configure(options))
                .AddActivity<Order, Order>("billing.charge", (order, _) => order)
                .UseTransport(_ => engine.CreateTransport())
                .ConfigureHosting(hosting => hosting.StopApplicationOnFailure = false);
            builder.Services.AddHealthChecks().AddAionWorker("billing");
        });
        var sleeps = new Sleeps(time);

        var notStarted = await CheckAsync(host, "aion-worker:billing");
        Assert.That(notStarted.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(notStarted.Description, Is.EqualTo("not started yet"));
        Assert.That(notStarted.Tags, Is.EquivalentTo(new[] { "aion-worker", "ready", "live" }));

        await host.StartAsync().Within();
        var worker = host.Services.GetRequiredService<AionWorkerRegistry>().Find("billing")!;
        await Poll.UntilAsync(() => worker.Status.LastError is not null, "the first connect to fail");
        var connecting = await CheckAsync(host, "aion-worker:billing");
        Assert.That(connecting.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(connecting.Data["state"], Is.EqualTo("Connecting"));
        Assert.That(connecting.Data["lastError"], Does.Contain("engine not up yet"));

        await sleeps.PassAsync(Ms(5));
        var session = await engine.WaitForSessionAsync(1).Within();
        await UntilState(host, "billing", AionWorkerState.Registered);
        var healthy = await CheckAsync(host, "aion-worker:billing");
        Assert.That(healthy.Status, Is.EqualTo(HealthStatus.Healthy));
        Assert.That(healthy.Data["workerId"], Is.EqualTo(session.WorkerId));
        Assert.That(healthy.Data["namespace"], Is.EqualTo("default"));
        Assert.That(healthy.Data, Does.Not.ContainKey("lastError"));
        Assert.That(healthy.Description, Does.StartWith($"Registered as worker {session.WorkerId}"));

        await worker.WaitForServingAsync(1);
        session.Fail(Unavailable("engine restarting"));
        await UntilState(host, "billing", AionWorkerState.Reconnecting);
        var reconnecting = await CheckAsync(host, "aion-worker:billing");
        Assert.That(reconnecting.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(reconnecting.Data["consecutiveDrops"], Is.EqualTo(1));
        Assert.That(reconnecting.Data["lastError"], Does.Contain("engine restarting"));
        Assert.That(reconnecting.Description, Does.Contain("(1 drop)"));

        await sleeps.PassAsync(Ms(5));
        var second = await engine.WaitForSessionAsync(2).Within();
        await UntilState(host, "billing", AionWorkerState.Registered);
        Assert.That((await CheckAsync(host, "aion-worker:billing")).Status, Is.EqualTo(HealthStatus.Healthy));

        await worker.WaitForServingAsync(2);
        second.Fail(Denied("namespace revoked"));
        await UntilState(host, "billing", AionWorkerState.Failed);
        var failed = await CheckAsync(host, "aion-worker:billing");
        Assert.That(failed.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(failed.Data["state"], Is.EqualTo("Failed"));
        Assert.That(failed.Data["lastError"], Does.Contain("namespace revoked"));

        await host.StopAsync().Within();
    }

    [Test]
    public async Task A_stopped_worker_is_unhealthy_or_the_given_failure_status()
    {
        var time = new TestTime();
        var engine = new InMemoryEngine(new InMemoryEngineOptions { TimeProvider = time });
        using var host = Build(time, builder =>
        {
            builder.Services.AddAionWorker("billing", options => Configure(options))
                .AddActivity<Order, Order>("billing.charge", (order, _) => order)
                .UseTransport(_ => engine.CreateTransport());
            builder.Services.AddHealthChecks()
                .AddAionWorker("billing")
                .AddAionWorker(name: null, failureStatus: HealthStatus.Degraded, tags: ["custom"]);
        });
        await host.StartAsync().Within();
        await UntilState(host, "billing", AionWorkerState.Registered);
        Assert.That((await CheckAsync(host, "aion-worker")).Tags, Is.EquivalentTo(new[] { "custom" }));

        await host.StopAsync().Within();

        var stopped = await CheckAsync(host, "aion-worker:billing");
        Assert.That(stopped.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(stopped.Data["state"], Is.EqualTo("Stopped"));
        Assert.That((await CheckAsync(host, "aion-worker")).Status, Is.EqualTo(HealthStatus.Degraded), "the failure status given");
    }

    [Test]
    public async Task Without_a_name_the_check_reports_the_worst_worker_with_data_per_worker()
    {
        var time = new TestTime();
        var up = new InMemoryEngine(new InMemoryEngineOptions { TimeProvider = time });
        var down = new InMemoryEngine(new InMemoryEngineOptions { TimeProvider = time });
        down.Script(Enumerable.Range(0, 50).Select(_ => ConnectionScript.FailConnect(Unavailable("down"))).ToArray());
        using var host = Build(time, builder =>
        {
            builder.Services.AddAionWorker("billing", options => Configure(options, "billing"))
                .AddActivity<Order, Order>("billing.charge", (order, _) => order)
                .UseTransport(_ => up.CreateTransport());
            builder.Services.AddAionWorker("refunds", options => Configure(options, "refunds"))
                .AddActivity<Order, Order>("refunds.issue", (order, _) => order)
                .UseTransport(_ => down.CreateTransport());
            builder.Services.AddHealthChecks().AddAionWorker().AddAionWorker("nobody");
        });
        await host.StartAsync().Within();
        await UntilState(host, "billing", AionWorkerState.Registered);
        await Poll.UntilAsync(() => down.ConnectAttempts >= 1, "the refunds worker to try");

        var all = await CheckAsync(host, "aion-worker");
        Assert.That(all.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(all.Data["billing.state"], Is.EqualTo("Registered"));
        Assert.That(all.Data["refunds.state"], Is.EqualTo("Connecting"));
        Assert.That(all.Description, Does.Contain("'billing': Registered").And.Contain("'refunds': Connecting"));

        var unknown = await CheckAsync(host, "aion-worker:nobody");
        Assert.That(unknown.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(unknown.Description, Does.Contain("No Aion worker named 'nobody'"));
        await host.StopAsync().Within();
    }
}
