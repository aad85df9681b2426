using System.Diagnostics;
using System.Globalization;

namespace Aion.Worker.Benchmarks.Load;

/// <summary>The counters a row reports for one process: CPU time, bytes allocated, thread-pool work items completed.</summary>
internal readonly record struct ProcessFigures(TimeSpan CpuTime, long AllocatedBytes, long WorkItems)
{
    /// <summary>This process's counters now.</summary>
    public static ProcessFigures Take()
    {
        using var process = Process.GetCurrentProcess();
        return new ProcessFigures(process.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: true), ThreadPool.CompletedWorkItemCount);
    }

    public static ProcessFigures operator -(ProcessFigures after, ProcessFigures before) =>
        new(after.CpuTime - before.CpuTime, after.AllocatedBytes - before.AllocatedBytes, after.WorkItems - before.WorkItems);

    /// <summary>One line for the driver: <c>figures &lt;cpu ticks&gt; &lt;bytes&gt; &lt;work items&gt;</c>.</summary>
    public string ToLine() => string.Create(CultureInfo.InvariantCulture, $"figures {CpuTime.Ticks} {AllocatedBytes} {WorkItems}");

    public static ProcessFigures Parse(string line)
    {
        var parts = line.Split(' ');
        if (parts.Length != 4 || parts[0] != "figures")
        {
            throw new FormatException($"The worker process answered '{line}', not its figures.");
        }

        return new ProcessFigures(
            TimeSpan.FromTicks(long.Parse(parts[1], CultureInfo.InvariantCulture)),
            long.Parse(parts[2], CultureInfo.InvariantCulture),
            long.Parse(parts[3], CultureInfo.InvariantCulture));
    }
}
