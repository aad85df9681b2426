using System.Collections.Concurrent;
using Aion.Worker.Extensions.Hosting;
using Aion.Worker.Pipeline;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport;
using Aion.Worker.Transport.InMemory;
using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aion.Worker.Tests.Hosting;

public sealed class HostedStageTests
{
    /// <summary>A service the stages depend on.</summary>
    public sealed class Audit
    {
        public ConcurrentQueue<string> Lines { get; } = new();
    }

    public sealed class AuditedAdmission(Audit audit) : IInboundStage
    {
        public ValueTask<InboundDecision> OnTaskAsync(InboundTaskContext task, CancellationToken cancellationToken)
        {
            audit.Lines.Enqueue("admit " + task.ActivityType);
            return new(InboundDecision.Admit);
        }
    }

    public sealed class AuditedSeal(Audit audit) : IOutboundStage
    {
        public ValueTask<Payload> TransformAsync(OutboundPayloadContext payload, CancellationToken cancellationToken)
        {
            audit.Lines.Enqueue("seal " + payload.Kind);
            return new(new Payload { ContentType = payload.Payload.ContentType, Bytes = ByteString.CopyFromUtf8("\"sealed\"") });
        }
    }

    public sealed class AuditedSession(IWorkerSession inner, Audit audit) : DelegatingWorkerSession(inner)
    {
        public override ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
        {
            audit.Lines.Enqueue("send " + frame.MessageCase);
            return base.SendAsync(frame, cancellationToken);
        }
    }

    [Test]
    public async Task Stages_and_middleware_are_resolved_from_the_hosts_services_and_limits_bound_from_configuration()
    {
        var engine = new InMemoryEngine();
        var audit = new Audit();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Limits:ConcurrencyLimits:Limits:billing.charge"] = "1",
            ["Limits:RateLimit:PermitLimit"] = "100",
            ["Limits:RateLimit:Period"] = "00:00:01",
        });
        builder.Services.AddSingleton(audit);
        builder.Services.AddAionWorker(options =>
            {
                options.TaskQueue = "hosted";
                options.Identity = "hosted-" + Guid.NewGuid().ToString("N")[..8];
                options.MaxConcurrency = 2;
                options.Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(200), MaxAttempts = 3 };
            })
            .AddActivity<string, string>("billing.charge", (input, _) => input)
            .AddInboundStage<AuditedAdmission>()
            .AddOutboundStage<AuditedSeal>()
            .AddSessionMiddleware<AuditedSession>()
            .AddConcurrencyLimits(builder.Configuration.GetSection("Limits:ConcurrencyLimits"))
            .AddRateLimit(builder.Configuration.GetSection("Limits:RateLimit"))
            .UseTransport(_ => engine.CreateTransport());
        using var host = builder.Build();
        await host.StartAsync().Within();

        await engine.WaitForSessionAsync(1).Within();
        var result = await engine.Dispatch("billing.charge", "x").Result.Within();
        await host.StopAsync().Within();

        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"sealed\""));
        Assert.That(audit.Lines, Does.Contain("admit billing.charge").And.Contain("seal Result").And.Contain("send Register").And.Contain("send Result"));
    }

    [Test]
    public async Task Invalid_bound_limits_fail_the_hosts_start_listing_every_problem()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["RateLimit:PermitLimit"] = "0" });
        builder.Services.AddAionWorker(options =>
            {
                options.TaskQueue = "hosted";
                options.Identity = "hosted-invalid";
                options.MaxConcurrency = 2;
                options.Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(200), MaxAttempts = 3 };
            })
            .AddActivity<string, string>("billing.charge", (input, _) => input)
            .AddRateLimit(builder.Configuration.GetSection("RateLimit"))
            .UseTransport(_ => new InMemoryEngine().CreateTransport());
        using var host = builder.Build();

        var error = Assert.CatchAsync<ArgumentException>(() => host.StartAsync());
        Assert.That((await error)!.Message, Does.Contain("PermitLimit: must be at least 1 (was 0)."));
    }
}
