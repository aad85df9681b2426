#region stages
using Aion.Worker;
using Aion.Worker.Pipeline;
using Aion.Worker.Protocol;
using Aion.Worker.Transport.InMemory;

#endregion
namespace Snippets.Readme;

public static class Stages
{
    public static async Task<ActivityResult> RunAsync(AionWorkerOptions options)
    {
        #region stages
        var engine = new InMemoryEngine();
        var worker = AionWorker.CreateBuilder(options)
            .AddActivity<ChargeRequest, Receipt>("billing.charge", (request, ctx) => new Receipt($"r-{request.Amount}", request.Amount))
            .ConfigurePipeline(pipeline => pipeline
                .AddRateLimit(permitLimit: 50, period: TimeSpan.FromSeconds(1))   // at most 50 starts a second
                .AddConcurrencyLimit("billing.charge", 4)                        // inside MaxConcurrency
                .AddInboundStage(new RejectHugeCharges())                          // your own decision
                .AddFrameLogging())                                                // Debug, no payloads
            .UseInMemory(engine)
            .Build();
        using var shutdown = new CancellationTokenSource();
        var run = worker.RunAsync(shutdown.Token);

        ActivityResult result = await engine.Dispatch("billing.charge", new ChargeRequest(1_000_000)).Result;
        // result.GetFailure(): TERMINAL "charges over 10,000 need a human"

        shutdown.Cancel();
        await run;
        #endregion
        return result;
    }

    #region stages
    sealed class RejectHugeCharges : IInboundStage
    {
        public ValueTask<InboundDecision> OnTaskAsync(InboundTaskContext task, CancellationToken cancellationToken)
        {
            var request = System.Text.Json.JsonSerializer.Deserialize<ChargeRequest>(task.Input.Span, System.Text.Json.JsonSerializerOptions.Web);
            return new(request!.Amount > 10_000
                ? InboundDecision.FailTerminal("charges over 10,000 need a human")
                : InboundDecision.Admit);
        }
    }
    #endregion
}
