using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Snippets.Readme;

public static class HealthChecks
{
    public static void Configure(HostApplicationBuilder builder)
    {
        #region health-checks
        builder.Services.AddHealthChecks()
            .AddAionWorker();             // every hosted worker, worst state wins; or .AddAionWorker("billing")
        #endregion
    }
}
