using Aion.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Snippets.Readme;

public static class Hosting
{
    public static void Configure(HostApplicationBuilder builder)
    {
        #region hosting
        builder.Services
            .AddAionWorker("billing", builder.Configuration.GetSection("Aion:Worker"))
            .AddActivity<ChargeActivity, ChargeRequest, Receipt>("billing.charge")
            .AddInterceptor<AuditInterceptor>()
            .ConfigureWorker((worker, _) => worker.UseGrpc(new Uri("http://127.0.0.1:50051")));
        #endregion
    }
}
