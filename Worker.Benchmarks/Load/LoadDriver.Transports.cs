using Aion.Worker.Transport.InMemory;
using Aion.Worker.Transport.Streams;

namespace Aion.Worker.Benchmarks.Load;

internal static partial class LoadDriver
{
    private static Task<LoadResult> OtherTransportAsync(string transport, string workload, int concurrency, int tasks) => transport switch
    {
        "streams" => StreamsAsync(workload, concurrency, tasks),
        _ => throw new ArgumentException($"Unknown transport '{transport}' (known: inmemory, streams)."),
    };

    /// <summary>The same in-memory engine behind a TCP loopback socket: the stream transport's framing, pipes and syscalls are what differ.</summary>
    private static async Task<LoadResult> StreamsAsync(string workload, int concurrency, int tasks)
    {
        var engine = new InMemoryEngine(new InMemoryEngineOptions { RecordFrames = false, HeartbeatWindow = TimeSpan.Zero });
        await using var server = StreamEngineServer.ListenTcp(engine);
        var worker = Worker(concurrency).UseTcp("127.0.0.1", server.Port).Build();
        return await DriveAsync("streams (TCP loopback)", engine, worker, workload, concurrency, tasks);
    }
}
