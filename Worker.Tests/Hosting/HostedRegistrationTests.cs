using System.Text.Json;
using System.Text.Json.Serialization;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Activities;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aion.Worker.Tests.Hosting;

public sealed record HostedOrder(int Id);

public sealed record HostedReceipt(int Id, string By);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(HostedOrder))]
[JsonSerializable(typeof(HostedReceipt))]
internal sealed partial class HostedJson : JsonSerializerContext;

/// <summary>The hosting builder on the shared AddActivity overload set.</summary>
public sealed class HostedRegistrationTests
{
    private sealed class Clerk
    {
        public string Name => "clerk";
    }

    private sealed class ReceiptActivity(Clerk clerk) : IActivity<HostedOrder, HostedReceipt>
    {
        public Task<HostedReceipt> ExecuteAsync(HostedOrder input, ActivityContext context) => Task.FromResult(new HostedReceipt(input.Id, clerk.Name));
    }

    private static void Configure(AionWorkerOptions options)
    {
        options.TaskQueue = "hosted";
        options.Identity = "hosted-" + Guid.NewGuid().ToString("N")[..8];
        options.MaxConcurrency = 2;
        options.Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(200), MaxAttempts = 3 };
    }

    [Test]
    public void A_duplicate_activity_type_is_rejected_when_registered_not_at_host_start()
    {
        var services = new ServiceCollection();
        var worker = services.AddAionWorker(Configure).AddActivity<HostedOrder, int>("orders.count", (_, _) => 1);

        var error = Assert.Throws<ArgumentException>(() => worker.AddActivity<HostedOrder, string>("orders.count", (_, _) => "again"));

        Assert.That(error!.Message, Does.Contain("'orders.count'").And.Contain("already registered"));
        Assert.That(error.ParamName, Is.EqualTo("activityType"));
    }

    [Test]
    public async Task Typed_delegate_and_di_activities_run_in_the_host_with_their_json_metadata()
    {
        var engine = new InMemoryEngine();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddScoped<Clerk>();
        builder.Services.AddAionWorker(Configure)
            .AddActivity<ReceiptActivity, HostedOrder, HostedReceipt>("orders.receipt", HostedJson.Default.HostedOrder, HostedJson.Default.HostedReceipt)
            .AddActivity("orders.echo", (HostedOrder order, ActivityContext _) => new HostedReceipt(order.Id, "delegate"), HostedJson.Default.HostedOrder, HostedJson.Default.HostedReceipt)
            .AddActivity<NullRuleOrder, int>("orders.null", (_, _) => 1)
            .UseTransport(_ => engine.CreateTransport());
        using var host = builder.Build();
        await host.StartAsync().Within();

        var receipt = await engine.Dispatch("orders.receipt", new HostedOrder(7), HostedJson.Default.HostedOrder).Result.Within();
        var echo = await engine.Dispatch("orders.echo", new HostedOrder(8), HostedJson.Default.HostedOrder).Result.Within();
        var rejected = await engine.DispatchJson("orders.null", "null").Result.Within();
        await host.StopAsync().Within();

        Assert.That(receipt.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"id":7,"by":"clerk"}"""));
        Assert.That(echo.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"id":8,"by":"delegate"}"""));
        Assert.That(rejected.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(rejected.Error.Message, Does.Contain(typeof(NullRuleOrder).ToString()));
    }
}
