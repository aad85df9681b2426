#region hosting-native-aot
using System.Text.Json;
using System.Text.Json.Serialization;
using Aion.Worker;
using Aion.Worker.Codec;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

#endregion
namespace Snippets.Docs;

#region hosting-native-aot
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ChargeRequest))]
[JsonSerializable(typeof(Receipt))]
partial class BillingHostJson : JsonSerializerContext;
#endregion

public static class HostingNativeAot
{
    public static void Configure(HostApplicationBuilder builder)
    {
        #region hosting-native-aot
        builder.Services
            .AddAionWorker("billing", builder.Configuration.GetSection("Aion:Worker"))
            .AddActivity<ChargeActivity, ChargeRequest, Receipt>("billing.charge", BillingHostJson.Default.ChargeRequest, BillingHostJson.Default.Receipt)
            .ConfigureWorker((worker, _) => worker
                .UseCodec(new JsonPayloadCodec(BillingHostJson.Default))
                .UseGrpc(new Uri("http://127.0.0.1:50051")));
        #endregion
    }
}
