namespace Aion.Worker.Benchmarks.Load;

/// <summary>One load run's figures.</summary>
internal sealed record LoadResult(
    string Transport,
    string Workload,
    int Concurrency,
    int Tasks,
    double Seconds,
    double P50Microseconds,
    double P99Microseconds,
    double AllocatedBytesPerTask,
    double WorkItemsPerTask,
    long PeakWorkingSetBytes)
{
    public double TasksPerSecond => Tasks / Seconds;

    public static string Header =>
        "| transport | workload | concurrency | tasks | tasks/s | p50 µs | p99 µs | alloc B/task | work items/task | peak WS MiB |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|";

    public string Row =>
        $"| {Transport} | {Workload} | {Concurrency} | {Tasks:N0} | {TasksPerSecond:N0} | {P50Microseconds:N1} | {P99Microseconds:N1} | {AllocatedBytesPerTask:N0} | {WorkItemsPerTask:N2} | {PeakWorkingSetBytes / (1024.0 * 1024.0):N1} |";
}
