using Aion.Worker.Transport.Grpc;
using Aion.Worker.Transport.Streams;

namespace Aion.Worker.Benchmarks.Load;

/// <summary>
/// The child side of a <c>--worker-process</c> row: runs the SDK worker or a bare client against the
/// driver's engine and answers <c>begin</c> / <c>end</c> on stdin with this process's counters on
/// stdout (<see cref="ProcessFigures"/>); stops when stdin closes. Commands are read on a dedicated
/// thread, so the child's thread-pool count is the client's alone.
/// </summary>
internal static class WorkerChild
{
    public static async Task<int> RunAsync(ChildSettings settings)
    {
        using var shutdown = new CancellationTokenSource();
        var run = settings.Variant switch
        {
            "grpc" => LoadDriver.Worker(settings.Concurrency, inline: settings.Inline).UseGrpc(new Uri(settings.Address)).Build().RunAsync(shutdown.Token),
            "streams" => LoadDriver.Worker(settings.Concurrency, inline: settings.Inline).UseTcp("127.0.0.1", int.Parse(settings.Address, System.Globalization.CultureInfo.InvariantCulture)).Build().RunAsync(shutdown.Token),
            "grpc-raw" => LoadDriver.RawClientAsync(new Uri(settings.Address), shutdown.Token),
            "grpc-batched" => LoadDriver.BatchedRawClientAsync(new Uri(settings.Address), shutdown.Token),
            _ => throw new ArgumentException($"Unknown variant '{settings.Variant}'."),
        };

        var stdin = new Thread(() =>
        {
            var output = Console.Out;
            while (Console.In.ReadLine() is { } line)
            {
                if (line is "begin" or "end")
                {
                    output.WriteLine(ProcessFigures.Take().ToLine());
                    output.Flush();
                }
            }

            shutdown.Cancel();
        })
        {
            IsBackground = true,
            Name = "worker-child stdin",
        };
        stdin.Start();

        try
        {
            await run.WaitAsync(TimeSpan.FromHours(1));
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
        }

        return 0;
    }
}
