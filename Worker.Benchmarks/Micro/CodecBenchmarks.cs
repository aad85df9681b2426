using Aion.Worker.Codec;
using Aion.Worker.Protocol;
using BenchmarkDotNet.Attributes;

namespace Aion.Worker.Benchmarks.Micro;

/// <summary>The default JSON codec on a small typed record.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly JsonPayloadCodec _codec = JsonPayloadCodec.Default;
    private readonly ChargeRequest _value = new("acct-42", 1999, "EUR", ["priority", "card"]);
    private Payload _payload = null!;

    [GlobalSetup]
    public void Setup() => _payload = _codec.Encode(_value);

    [Benchmark]
    public Payload Encode() => _codec.Encode(_value);

    [Benchmark]
    public ChargeRequest Decode() => _codec.Decode<ChargeRequest>(_payload);

    public sealed record ChargeRequest(string Account, long AmountCents, string Currency, string[] Tags);
}
