using Aion.Worker;
using Aion.Worker.Transport.InMemory;
using Aion.Worker.Transport.Streams;

namespace Snippets.Docs;

public static class CustomTransport
{
    public static AionWorker StreamsWorker(AionWorkerOptions options)
    {
        #region streams-worker
        var worker = AionWorker.CreateBuilder(options)
            .AddActivity<ChargeRequest, Receipt>("billing.charge", ChargeAsync)
            .UseTcp("127.0.0.1", 7233)                       // or .UseUnixSocket("/run/aion/worker.sock")
            .Build();                                        // or .UseStreams(ct => OpenMyStreamAsync(ct))
        #endregion
        return worker;
    }

    public static async Task<AionWorker> StreamsEngineAsync(AionWorkerOptions options)
    {
        #region streams-engine
        var engine = new InMemoryEngine();
        await using var server = StreamEngineServer.ListenTcp(engine);
        var worker = AionWorker.CreateBuilder(options)
            .AddActivity<ChargeRequest, Receipt>("billing.charge", ChargeAsync)
            .UseTcp("127.0.0.1", server.Port)
            .Build();
        #endregion
        return worker;
    }

    private static Task<Receipt> ChargeAsync(ChargeRequest request, ActivityContext context) =>
        Task.FromResult(new Receipt("r", request.Amount));
}
