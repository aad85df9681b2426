using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aion.Worker.Samples.Aot;

public sealed record OrderLine(string Sku, int Quantity);

public sealed record Order(string Id, IReadOnlyList<OrderLine> Lines);

public sealed record Quote(string OrderId, decimal Total);

public sealed record Shipment(string OrderId, string Country);

public sealed record ShipmentLabel(string OrderId, string Tracking);

public sealed record ShipProgress(string Step);

public sealed record ShipmentRefused(string OrderId, string Country, string Reason);

/// <summary>Every type the worker reads or writes, generated at compile time: no reflection at run time.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(Quote))]
[JsonSerializable(typeof(Shipment))]
[JsonSerializable(typeof(ShipmentLabel))]
[JsonSerializable(typeof(ShipProgress))]
[JsonSerializable(typeof(ShipmentRefused))]
internal sealed partial class SampleJson : JsonSerializerContext;

/// <summary>A scoped service the quote activity takes from DI.</summary>
public sealed class PriceList
{
    public decimal PriceOf(string sku) => sku.Length * 1.25m;
}

/// <summary>A class activity the host creates per execution, in a fresh DI scope.</summary>
public sealed class QuoteActivity(PriceList prices) : IActivity<Order, Quote>
{
    public Task<Quote> ExecuteAsync(Order input, ActivityContext context) =>
        Task.FromResult(new Quote(input.Id, input.Lines.Sum(line => line.Quantity * prices.PriceOf(line.Sku))));
}

/// <summary>A delegate activity: reports progress, refuses some countries for good (with typed details).</summary>
public static class ShipActivity
{
    public const string Refused = "XX";

    public static async Task<ShipmentLabel> ShipAsync(Shipment shipment, ActivityContext context)
    {
        await context.HeartbeatAsync(new ShipProgress("labelling"), SampleJson.Default.ShipProgress, context.CancellationToken);
        if (shipment.Country == Refused)
        {
            throw new TerminalActivityException($"cannot ship order {shipment.OrderId} to {shipment.Country}", new ShipmentRefused(shipment.OrderId, shipment.Country, "embargo"));
        }

        return new ShipmentLabel(shipment.OrderId, $"TRK-{shipment.OrderId}");
    }
}
