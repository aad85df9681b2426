namespace Aion.Worker.Benchmarks.Load;

/// <summary>One load run's figures.</summary>
/// <param name="Transport">The row's label.</param>
/// <param name="Workload">The workload's label.</param>
/// <param name="Concurrency">The worker's concurrency.</param>
/// <param name="Tasks">Tasks measured.</param>
/// <param name="Seconds">Wall time of the measured run.</param>
/// <param name="P50Microseconds">Median dispatch → result latency.</param>
/// <param name="P99Microseconds">99th percentile dispatch → result latency.</param>
/// <param name="AllocatedBytesPerTask">Bytes allocated per task: the child's for a child row, the whole process's otherwise.</param>
/// <param name="WorkItemsPerTask">Thread-pool work items per task, counted where the bytes are.</param>
/// <param name="CpuMicrosPerTask">CPU time per task (<c>Process.TotalProcessorTime</c>), counted where the bytes are.</param>
/// <param name="PeakWorkingSetBytes">Peak working set of the driver's process.</param>
/// <param name="Where"><c>child</c> when the worker ran in its own process, <c>in-process</c> otherwise.</param>
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
    double CpuMicrosPerTask,
    long PeakWorkingSetBytes,
    string Where = "in-process")
{
    public double TasksPerSecond => Tasks / Seconds;

    public static string Header =>
        "| transport | workload | concurrency | measured in | tasks | tasks/s | p50 µs | p99 µs | CPU µs/task | alloc B/task | work items/task | peak WS MiB |\n|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|";

    public string Row =>
        $"| {Transport} | {Workload} | {Concurrency} | {Where} | {Tasks:N0} | {TasksPerSecond:N0} | {P50Microseconds:N1} | {P99Microseconds:N1} | {CpuMicrosPerTask:N2} | {AllocatedBytesPerTask:N0} | {WorkItemsPerTask:N2} | {PeakWorkingSetBytes / (1024.0 * 1024.0):N1} |";

    /// <summary>The medians of several runs of one row (every figure on its own).</summary>
    public static LoadResult Median(IReadOnlyList<LoadResult> runs)
    {
        var first = runs[0];
        var tasks = first.Tasks;
        return first with
        {
            Seconds = tasks / Median(runs.Select(r => r.TasksPerSecond)),
            P50Microseconds = Median(runs.Select(r => r.P50Microseconds)),
            P99Microseconds = Median(runs.Select(r => r.P99Microseconds)),
            AllocatedBytesPerTask = Median(runs.Select(r => r.AllocatedBytesPerTask)),
            WorkItemsPerTask = Median(runs.Select(r => r.WorkItemsPerTask)),
            CpuMicrosPerTask = Median(runs.Select(r => r.CpuMicrosPerTask)),
            PeakWorkingSetBytes = (long)Median(runs.Select(r => (double)r.PeakWorkingSetBytes)),
        };
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
