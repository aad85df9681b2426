#region testing
using Aion.Worker;
using Aion.Worker.Protocol;
using Aion.Worker.Transport.InMemory;

#endregion
namespace Snippets.Readme;

public static class Testing
{
    public static async Task<Receipt> RunAsync(AionWorkerOptions options)
    {
        #region testing
        var engine = new InMemoryEngine();
        var worker = AionWorker.CreateBuilder(options)
            .AddActivity<ChargeRequest, Receipt>("billing.charge", (request, ctx) => new Receipt($"r-{request.Amount}", request.Amount))
            .UseInMemory(engine)
            .Build();
        using var shutdown = new CancellationTokenSource();
        var run = worker.RunAsync(shutdown.Token);

        var task = engine.Dispatch("billing.charge", new ChargeRequest(42));
        ActivityResult result = await task.Result;
        var receipt = result.GetOutput<Receipt>();   // result.GetFailure() for a failed one: kind, message, details

        shutdown.Cancel();
        await run;
        #endregion
        return receipt;
    }
}
