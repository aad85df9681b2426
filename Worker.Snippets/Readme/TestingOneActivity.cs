#region testing-one-activity
using System.Text.Json;
using Aion.Worker;
using Aion.Worker.Transport.InMemory;

#endregion
namespace Snippets.Readme;

public static class TestingOneActivity
{
    public static async Task<(Receipt Receipt, string Step, ActivityFailure Cancelled)> RunAsync()
    {
        #region testing-one-activity
        var environment = new ActivityTestEnvironment()
            .AddActivity<ChargeRequest, Receipt>("billing.charge", async (request, ctx) =>
            {
                await ctx.HeartbeatAsync(new { step = "authorizing" });
                await Task.Delay(TimeSpan.FromMilliseconds(request.Amount), ctx.CancellationToken);
                return new Receipt($"r-{request.Amount}", request.Amount);
            });

        // Run to the end: the typed output, or GetFailure() exactly as the worker would report it.
        var result = await environment.RunAsync("billing.charge", new ChargeRequest(42), new DispatchOptions { Attempt = 2 });
        var receipt = result.GetOutput<Receipt>();
        var step = result.Heartbeats[0].GetProgress<JsonElement>().GetProperty("step").GetString();

        // Or start it, wait for its first heartbeat, and cancel it as the engine would.
        var run = environment.Start("billing.charge", new ChargeRequest(60_000));
        await run.WaitForHeartbeatsAsync(1);
        run.Cancel(ActivityCancellationReason.CancelRequested);
        var cancelled = (await run.Completion).GetFailure();   // Kind: Terminal, "cancelled at the engine's request"
        #endregion
        return (receipt, step!, cancelled);
    }
}
