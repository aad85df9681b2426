#region quick-start
using Aion.Worker;

#endregion
namespace Snippets.Readme;

public static class QuickStart
{
    public static async Task RunAsync(PaymentsClient payments, CancellationToken stoppingToken)
    {
        #region quick-start
        var worker = AionWorker.CreateBuilder(new AionWorkerOptions
            {
                TaskQueue = "billing",
                Identity = "billing-worker-1",
                MaxConcurrency = 16,
                Reconnect = new ReconnectOptions
                {
                    InitialBackoff = TimeSpan.FromMilliseconds(100),
                    MaxBackoff = TimeSpan.FromSeconds(5),
                    MaxAttempts = 10,
                },
            })
            .AddActivity<ChargeRequest, Receipt>("billing.charge", async (input, ctx) =>
            {
                await ctx.HeartbeatAsync(new { step = "authorizing" });
                if (input.Amount <= 0)
                {
                    throw new TerminalActivityException("invalid amount", new { input.Amount });
                }

                return await payments.ChargeAsync(input, ctx.CancellationToken);
            })
            .UseGrpc(new Uri("http://127.0.0.1:50051"))   // or the in-memory engine: .UseInMemory(engine)
            .Build();

        await worker.RunAsync(stoppingToken);
        #endregion
    }
}
