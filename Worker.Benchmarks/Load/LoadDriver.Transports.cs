namespace Aion.Worker.Benchmarks.Load;

internal static partial class LoadDriver
{
    private static Task<LoadResult> OtherTransportAsync(string transport, string workload, int concurrency, int tasks) =>
        throw new ArgumentException($"Unknown transport '{transport}' (known: inmemory).");
}
