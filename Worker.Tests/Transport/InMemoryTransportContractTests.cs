using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Transport;

/// <summary>The transport contract over the in-memory engine's own transport, on a fake clock.</summary>
public sealed class InMemoryTransportContractTests : TransportContractTests
{
    protected override Task<TransportPair> CreatePairAsync(InMemoryEngineOptions engineOptions, Action<AionWorkerBuilder> builder, AionWorkerOptions options)
    {
        var time = new TestTime();
        engineOptions.TimeProvider = time;
        var engine = new InMemoryEngine(engineOptions);
        var logs = new FakeLogCollector();
        var worker = AionWorker.CreateBuilder(options)
            .UseTransport(engine.CreateTransport())
            .UseTimeProvider(time)
            .UseLoggerFactory(TestLogs.Factory(logs));
        builder(worker);
        return Task.FromResult(new TransportPair(worker.Build(), engine.CreateTransport(), engine, time, logs));
    }

    protected override async Task LetDelayPassAsync(TransportPair pair, TimeSpan delay)
    {
        var time = (TestTime)pair.Time;
        await time.WaitForTimerAsync(delay);
        time.Advance(delay);
    }
}
