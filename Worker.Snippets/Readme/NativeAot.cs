#region native-aot
using System.Text.Json;
using System.Text.Json.Serialization;
using Aion.Worker;
using Aion.Worker.Codec;

#endregion
namespace Snippets.Readme;

#region native-aot
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ChargeRequest))]
[JsonSerializable(typeof(Receipt))]
partial class BillingJson : JsonSerializerContext;
#endregion

public static class NativeAot
{
    public static AionWorker Build(AionWorkerOptions options)
    {
        #region native-aot
        var worker = AionWorker.CreateBuilder(options)
            .AddActivity("billing.charge", ChargeAsync, BillingJson.Default.ChargeRequest, BillingJson.Default.Receipt)
            .UseCodec(new JsonPayloadCodec(BillingJson.Default))
            .UseGrpc(new Uri("http://127.0.0.1:50051"))
            .Build();
        #endregion
        return worker;
    }

    private static Task<Receipt> ChargeAsync(ChargeRequest request, ActivityContext context) =>
        Task.FromResult(new Receipt("r", request.Amount));
}
