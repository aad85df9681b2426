using System.Diagnostics;

namespace Aion.Worker.Benchmarks.Load;

/// <summary>Dispatch → result latency per task, indexed by sequence position (no allocation per task).</summary>
internal sealed class LatencyRecorder(int tasks)
{
    private readonly long[] _dispatched = new long[tasks + 1];
    private readonly long[] _latency = new long[tasks + 1];

    public void Dispatched(ulong position) => _dispatched[position] = Stopwatch.GetTimestamp();

    public void Completed(ulong position)
    {
        if (position < (ulong)_latency.Length && _latency[position] == 0)
        {
            _latency[position] = Stopwatch.GetTimestamp() - _dispatched[position];
        }
    }

    public (double P50Microseconds, double P99Microseconds) Percentiles()
    {
        var samples = _latency.Skip(1).Where(l => l > 0).ToArray();
        Array.Sort(samples);
        if (samples.Length == 0)
        {
            return (0, 0);
        }

        double At(double q) => samples[Math.Min(samples.Length - 1, (int)(q * samples.Length))] * 1_000_000.0 / Stopwatch.Frequency;
        return (At(0.50), At(0.99));
    }
}
