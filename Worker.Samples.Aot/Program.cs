using System.Diagnostics;
using System.Text.Json;
using Aion.Worker;
using Aion.Worker.Codec;
using Aion.Worker.Protocol;
using Aion.Worker.Samples.Aot;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A hosted worker that trims and compiles to native code (PublishAot): options bound from
// configuration, a class activity created by DI, JSON through a source-generated context, and the
// stream transport over TCP loopback to an in-memory engine (StreamEngineServer). It pushes
// --tasks tasks (default 500) and prints one summary line; exit code 0 when every outcome is the
// expected one. With --endpoint <url> the same worker serves a real Aion engine over gRPC until Ctrl+C.
var taskCount = 500;
string? endpoint = null;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--tasks":
            taskCount = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            break;
        case "--endpoint":
            endpoint = args[i + 1];
            break;
    }
}

var engine = new InMemoryEngine();
await using var server = StreamEngineServer.ListenTcp(engine);

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
// Errors only: the null inputs this sample sends on purpose are each logged as a warning.
builder.Logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Error);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Aion:Worker:TaskQueue"] = "orders",
    ["Aion:Worker:Identity"] = "aot-sample",
    ["Aion:Worker:MaxConcurrency"] = "16",
    ["Aion:Worker:Reconnect:InitialBackoff"] = "00:00:00.100",
    ["Aion:Worker:Reconnect:MaxBackoff"] = "00:00:05",
    ["Aion:Worker:Reconnect:MaxAttempts"] = "5",
});
builder.Services.AddScoped<PriceList>();
builder.Services
    .AddAionWorker("orders", builder.Configuration.GetSection("Aion:Worker"))
    .AddActivity<QuoteActivity, Order, Quote>("orders.quote", SampleJson.Default.Order, SampleJson.Default.Quote)
    .AddActivity("orders.ship", ShipActivity.ShipAsync, SampleJson.Default.Shipment, SampleJson.Default.ShipmentLabel)
    .ConfigureWorker((worker, _) =>
    {
        // Failure details (ShipmentRefused) are written by the worker's codec: one made from the context.
        worker.UseCodec(new JsonPayloadCodec(SampleJson.Default));
        if (endpoint is null)
        {
            worker.UseTcp("127.0.0.1", server.Port);
        }
        else
        {
            worker.UseGrpc(new Uri(endpoint));
        }
    });

using var host = builder.Build();
if (endpoint is not null)
{
    await host.RunAsync();
    return 0;
}

await host.StartAsync();
using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
await engine.WaitForSessionAsync(1, timeout.Token);

var clock = Stopwatch.StartNew();
var dispatched = new List<(int Kind, DispatchedTask Task)>(taskCount);
for (var i = 1; i <= taskCount; i++)
{
    var id = $"order-{i}";
    var kind = i % 25 == 0 ? 3 : i % 10 == 0 ? 2 : i % 2;
    dispatched.Add((kind, kind switch
    {
        0 => engine.Dispatch("orders.quote", new Order(id, [new OrderLine("apple", i % 7 + 1), new OrderLine("kiwi", 2)]), SampleJson.Default.Order),
        1 => engine.Dispatch("orders.ship", new Shipment(id, "NZ"), SampleJson.Default.Shipment),
        2 => engine.Dispatch("orders.ship", new Shipment(id, ShipActivity.Refused), SampleJson.Default.Shipment),
        _ => engine.DispatchJson("orders.quote", "null"),
    }));
}

await Task.WhenAll(dispatched.Select(d => d.Task.Result)).WaitAsync(timeout.Token);
clock.Stop();

int completed = 0, refused = 0, nullsRejected = 0, unexpected = 0;
foreach (var (kind, task) in dispatched)
{
    var result = await task.Result;
    var ok = kind switch
    {
        0 => result.OutcomeCase == ActivityResult.OutcomeOneofCase.Result && JsonSerializer.Deserialize(result.Result.Bytes.Span, SampleJson.Default.Quote)?.Total > 0,
        1 => result.OutcomeCase == ActivityResult.OutcomeOneofCase.Result && JsonSerializer.Deserialize(result.Result.Bytes.Span, SampleJson.Default.ShipmentLabel)?.Tracking.StartsWith("TRK-", StringComparison.Ordinal) == true,
        2 => IsTerminal(result) && result.Error.Details is { } details && JsonSerializer.Deserialize(details.Bytes.Span, SampleJson.Default.ShipmentRefused)?.Reason == "embargo",
        _ => IsTerminal(result) && result.Error.Message.Contains(typeof(Order).FullName!, StringComparison.Ordinal),
    };
    if (!ok)
    {
        unexpected++;
        Console.Error.WriteLine($"unexpected outcome for {task}: {result}");
        continue;
    }

    if (kind is 0 or 1)
    {
        completed++;
    }
    else if (kind == 2)
    {
        refused++;
    }
    else
    {
        nullsRejected++;
    }
}

await host.StopAsync();
Console.WriteLine(
    $"AOT sample: {taskCount} tasks over TCP in {clock.Elapsed.TotalSeconds:F2} s: {completed} completed, {refused} refused with details, " +
    $"{nullsRejected} null inputs rejected before the handler, {unexpected} unexpected");
return unexpected == 0 && completed + refused + nullsRejected == taskCount ? 0 : 1;

static bool IsTerminal(ActivityResult result) =>
    result.OutcomeCase == ActivityResult.OutcomeOneofCase.Error && result.Error.Kind == ActivityErrorKind.Terminal;
