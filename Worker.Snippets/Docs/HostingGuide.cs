#region hosting-program
using Aion.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

#endregion
namespace Snippets.Docs;

public static class HostingGuide
{
    public static async Task RunAsync(string[] args)
    {
        #region hosting-program
        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddScoped<PaymentGateway>();
        builder.Services
            .AddAionWorker("billing", builder.Configuration.GetSection("Aion:Worker"))
            .AddActivity<ChargeActivity, ChargeRequest, Receipt>("billing.charge")   // resolved per execution
            .AddActivity<Ping, Pong>("billing.ping", (ping, ctx) => new Pong())       // delegates too
            .AddInterceptor<AuditInterceptor>()                                       // scoped middleware
            .ConfigureWorker((worker, services) => worker.UseGrpc(new Uri("http://127.0.0.1:50051")));
        await builder.Build().RunAsync();
        #endregion
    }

    public static void ShutdownTimeout(HostApplicationBuilder builder)
    {
        #region shutdown-timeout
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(2));
        #endregion
    }
}
