using Aion.Worker.Protocol;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;

namespace Aion.Worker.Benchmarks.Micro;

/// <summary>Protobuf encode and decode of the frames on the hot path: a task in, a result out.</summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private ServerToWorker _task = null!;
    private WorkerToServer _result = null!;
    private byte[] _taskBytes = null!;
    private byte[] _resultBytes = null!;
    private byte[] _buffer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var input = new Payload { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8("""{"account":"acct-42","amountCents":1999}""") };
        var task = new ActivityTask
        {
            WorkflowId = new WorkflowId { Uuid = "0b5e1d7c-4a3b-4c55-9a77-2f9a2b3c4d5e" },
            ActivityId = new ActivityId { SequencePosition = 17 },
            ActivityType = "billing.charge",
            Input = input,
            Attempt = 1,
            RunId = new RunId { Uuid = "5d1f0c3a-2b4e-4f6a-8c7d-9e0f1a2b3c4d" },
        };
        _task = new ServerToWorker { Task = task };
        _result = new WorkerToServer
        {
            Result = new ActivityResult { WorkflowId = task.WorkflowId, ActivityId = task.ActivityId, Result = input, RunId = task.RunId },
        };
        _taskBytes = _task.ToByteArray();
        _resultBytes = _result.ToByteArray();
        _buffer = new byte[4096];
    }

    [Benchmark]
    public int EncodeResult()
    {
        var size = _result.CalculateSize();
        _result.WriteTo(_buffer.AsSpan(0, size));
        return size;
    }

    [Benchmark]
    public ServerToWorker DecodeTask() => ServerToWorker.Parser.ParseFrom(_taskBytes);

    [Benchmark]
    public WorkerToServer DecodeResult() => WorkerToServer.Parser.ParseFrom(_resultBytes);

    [Benchmark]
    public int ResultSizeCheck() => _result.CalculateSize();
}
