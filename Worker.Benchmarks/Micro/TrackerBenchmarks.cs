using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Protocol;
using BenchmarkDotNet.Attributes;

namespace Aion.Worker.Benchmarks.Micro;

/// <summary>The unacked-result tracker's per-result cycle: record, mark sent, ack.</summary>
[MemoryDiagnoser]
public class TrackerBenchmarks
{
    private readonly UnackedResultTracker _tracker = new();
    private readonly WorkerToServer _frame = new() { Result = new ActivityResult() };
    private readonly string[] _workflows = Enumerable.Range(0, 1024).Select(_ => Guid.NewGuid().ToString()).ToArray();
    private int _next;

    [GlobalSetup]
    public void Setup() => _tracker.BeginSession(1);

    [Benchmark]
    public int RecordSendAck()
    {
        var key = new ResultKey(_workflows[_next++ & 1023], 1);
        var entry = _tracker.Record(key, 1, _frame, out _)!;
        _tracker.MarkSent(entry, 1);
        return (int)_tracker.TryAck(key, 1);
    }

    [Benchmark]
    public int Snapshot1000()
    {
        var tracker = new UnackedResultTracker();
        for (var i = 0; i < 1000; i++)
        {
            tracker.Record(new ResultKey(_workflows[i], (ulong)i), 1, _frame, out _);
        }

        return tracker.Snapshot().Length;
    }
}
