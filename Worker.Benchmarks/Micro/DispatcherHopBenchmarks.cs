using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace Aion.Worker.Benchmarks.Micro;

/// <summary>The cost of one bounded-channel hop between pipeline stages, as the worker configures them.</summary>
[MemoryDiagnoser]
public class DispatcherHopBenchmarks
{
    private const int Items = 10_000;
    private Channel<object> _channel = null!;
    private readonly object _item = new();

    [GlobalSetup]
    public void Setup() => _channel = Channel.CreateBounded<object>(new BoundedChannelOptions(256)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Producer and consumer on two tasks, 10,000 items through the channel.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    public async Task HopAsync()
    {
        var reader = _channel.Reader;
        var consumer = Task.Run(async () =>
        {
            var seen = 0;
            while (seen < Items && await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out _))
                {
                    seen++;
                }
            }
        });

        var writer = _channel.Writer;
        for (var i = 0; i < Items; i++)
        {
            if (!writer.TryWrite(_item))
            {
                await writer.WriteAsync(_item);
            }
        }

        await consumer;
    }
}
