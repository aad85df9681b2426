using System.Diagnostics.Metrics;
using Aion.Worker.Diagnostics;
using Aion.Worker.Extensions.Hosting;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aion.Worker.Tests.Hosting;

/// <summary>What the hosted worker does with its options and the host's services.</summary>
public sealed class HostedOptionsTests
{
    private sealed record Order(int Id);

    private static void Valid(AionWorkerOptions options)
    {
        options.TaskQueue = "hosted";
        options.Identity = "hosted-" + Guid.NewGuid().ToString("N")[..8];
        options.MaxConcurrency = 2;
        options.Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(200), MaxAttempts = 3 };
    }

    [Test]
    public async Task The_hosted_worker_does_not_change_the_options_instance_others_read()
    {
        var engine = new InMemoryEngine();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAionWorker("billing", Valid)
            .AddActivity<Order, Order>("billing.charge", (order, _) => order)
            .UseTransport(_ => engine.CreateTransport());
        using var host = builder.Build();
        var shared = host.Services.GetRequiredService<IOptionsMonitor<AionWorkerOptions>>().Get("billing");
        var reconnect = shared.Reconnect;

        await host.StartAsync().Within();
        await engine.WaitForSessionAsync(1).Within();
        var worker = host.Services.GetRequiredService<AionWorkerRegistry>().Find("billing")!;

        Assert.That(worker.Options.Reconnect.RetryFirstConnectForever, Is.True, "the hosted worker retries its first connect forever");
        Assert.That(host.Services.GetRequiredService<IOptionsMonitor<AionWorkerOptions>>().Get("billing"), Is.SameAs(shared));
        Assert.That(shared.Reconnect, Is.SameAs(reconnect));
        Assert.That(shared.Reconnect.RetryFirstConnectForever, Is.False, "the shared instance is unchanged");
        await host.StopAsync().Within();
    }

    [Test]
    public async Task Two_invalid_workers_fail_host_start_with_one_OptionsValidationException_listing_every_problem()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Billing:TaskQueue"] = "billing",
            ["Billing:MaxConcurrency"] = "0",
            ["Billing:Reconnect:InitialBackoff"] = "00:00:01",
            ["Billing:Reconnect:MaxBackoff"] = "00:00:05",
            ["Billing:Reconnect:MaxAttempts"] = "3",
            ["Refunds:TaskQueue"] = "refunds",
            ["Refunds:Identity"] = "refunds-1",
            ["Refunds:MaxConcurrency"] = "4",
            ["Refunds:Reconnect:InitialBackoff"] = "00:00:01",
            ["Refunds:Reconnect:MaxBackoff"] = "00:00:05",
            ["Refunds:Reconnect:MaxAttempts"] = "0",
        });
        builder.Services.AddAionWorker("billing", builder.Configuration.GetSection("Billing"))
            .AddActivity<Order, Order>("billing.charge", (order, _) => order);
        builder.Services.AddAionWorker("refunds", builder.Configuration.GetSection("Refunds"))
            .AddActivity<Order, Order>("refunds.issue", (order, _) => order);
        builder.Services.AddAionWorker("valid", Valid)
            .AddActivity<Order, Order>("valid.ok", (order, _) => order);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.OptionsType, Is.EqualTo(typeof(AionWorkerOptions)));
        Assert.That(error.Failures, Has.Some.StartsWith("Aion worker 'billing':").And.Contains("Identity"));
        Assert.That(error.Failures, Has.Some.StartsWith("Aion worker 'billing':").And.Contains("MaxConcurrency"));
        Assert.That(error.Failures, Has.Some.StartsWith("Aion worker 'refunds':").And.Contains("Reconnect.MaxAttempts"));
        Assert.That(error.Failures, Has.None.Contains("'valid'"));
        Assert.That(error.Message, Does.Contain("billing").And.Contains("refunds"));
    }

    [Test]
    public async Task One_invalid_worker_names_itself_in_the_exception()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAionWorker("billing", options => options.TaskQueue = "billing")
            .AddActivity<Order, Order>("billing.charge", (order, _) => order);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.OptionsName, Is.EqualTo("billing"));
        Assert.That(error.Failures, Is.Not.Empty.And.All.StartsWith("Aion worker 'billing':"));
    }

    [Test]
    public async Task The_hosted_worker_records_metrics_on_the_hosts_meter_factory()
    {
        var engine = new InMemoryEngine();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAionWorker("billing", Valid)
            .AddActivity<Order, Order>("billing.charge", (order, _) => order)
            .UseTransport(_ => engine.CreateTransport());
        using var host = builder.Build();
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        using var received = new MetricCollector<long>(meters, AionWorkerDiagnostics.MeterName, AionWorkerDiagnostics.Instruments.TasksReceived);
        await host.StartAsync().Within();
        await engine.WaitForSessionAsync(1).Within();

        await engine.Dispatch("billing.charge", new Order(1)).Result.Within();
        await engine.Dispatch("billing.charge", new Order(2)).Result.Within();
        await host.StopAsync().Within();

        Assert.That(received.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(2), "only this host's worker records on this host's meter");
    }
}
