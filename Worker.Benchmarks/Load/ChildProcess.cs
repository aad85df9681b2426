using System.Diagnostics;

namespace Aion.Worker.Benchmarks.Load;

/// <summary>
/// The driver's handle on a <c>--worker-process</c> child (<c>load worker-child …</c>): it starts the
/// child, marks the start and end of the measured run over stdin (<c>begin</c>, <c>end</c>) and reads
/// the child's own figures back from stdout; closing stdin stops the child.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private ProcessFigures _begin;

    private ChildProcess(Process process)
    {
        _process = process;
        Exited = process.WaitForExitAsync();
    }

    /// <summary>Completes when the child exited.</summary>
    public Task Exited { get; }

    public static ChildProcess Start(ChildSettings settings)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var prefix = ProfilerControl.ChildPrefix();
        var start = new ProcessStartInfo
        {
            FileName = prefix.Length > 0 ? prefix[0] : host,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };

        // Under a profiler (AION_LOAD_CHILD_PREFIX), the prefix's arguments, then the host.
        if (prefix.Length > 0)
        {
            foreach (var argument in prefix.Skip(1).Append(host))
            {
                start.ArgumentList.Add(argument);
            }
        }

        // Under `dotnet Aion.Worker.Benchmarks.dll` the host is dotnet: name the assembly; under the apphost, the apphost is enough.
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        }

        foreach (var argument in (string[])["load", "worker-child", "--variant", settings.Variant, "--address", settings.Address, "--concurrency", settings.Concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture), .. (settings.Inline ? (string[])["--inline"] : [])])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("The worker process did not start.");
        Console.Error.WriteLine($"# worker child: pid {process.Id} ({settings.Variant})");
        return new ChildProcess(process);
    }

    /// <summary>The measured run starts: the child notes its counters.</summary>
    public async Task BeginAsync() => _begin = await AskAsync("begin");

    /// <summary>The measured run ended: the child's counters since <see cref="BeginAsync"/>.</summary>
    public async Task<ProcessFigures> EndAsync() => await AskAsync("end") - _begin;

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private async Task<ProcessFigures> AskAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException($"The worker process exited (code {(_process.HasExited ? _process.ExitCode : -1)}) before answering '{command}'.");
        return ProcessFigures.Parse(line);
    }
}
