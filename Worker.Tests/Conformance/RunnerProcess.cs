using System.Collections.Concurrent;
using System.Diagnostics;
using Aion.Worker.Tests.Support;

namespace Aion.Worker.Tests.Conformance;

/// <summary>
/// The conformance runner (<c>Aion.Worker.Conformance.dll</c>) as a child process: environment in,
/// stdout/stderr lines out, SIGTERM via <c>kill -TERM</c>, and a teardown that always ends it
/// (SIGTERM, a bounded wait, then <see cref="Process.Kill(bool)"/> of the whole tree).
/// </summary>
public sealed class RunnerProcess : IAsyncDisposable
{
    public const string ReadyMarker = "AION_WORKER_CONFORMANCE_READY";
    public const string StoppedMarker = "AION_WORKER_CONFORMANCE_STOPPED";

    /// <summary>Overrides where the runner's dll is looked for.</summary>
    public const string RunnerPathVariable = "AION_WORKER_CONFORMANCE_RUNNER_DLL";

    private static readonly string[] InheritedVariables =
    [
        "AION_ENDPOINT",
        "AION_WORKER_CONFORMANCE_ENDPOINT",
        "AION_WORKER_CONFORMANCE_NAMESPACE",
        "AION_WORKER_CONFORMANCE_MAX_CONCURRENCY",
        "AION_WORKER_CONFORMANCE_SCENARIO",
        "AION_WORKER_CONFORMANCE_FIXTURES",
        "AION_WORKER_RECONNECT",
    ];

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _exited;

    private RunnerProcess(Process process, Stopwatch sinceStart)
    {
        _process = process;
        SinceStart = sinceStart;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            _stdout.Enqueue(e.Data);
            if (e.Data.StartsWith(ReadyMarker, StringComparison.Ordinal))
            {
                ReadyAfter ??= SinceStart.Elapsed;
                _ready.TrySetResult(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _stderr.Enqueue(e.Data);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Completes once the process exited and both pipes reached end of file.
        _exited = _process.WaitForExitAsync();
        _ = _exited.ContinueWith(_ => _ready.TrySetException(new InvalidOperationException($"The runner exited ({ExitCodeText}) before it was ready.\nstderr:\n{Stderr}")), TaskScheduler.Default);
    }

    public int Id => _process.Id;

    /// <summary>Real time since <see cref="Start"/> started the process.</summary>
    public Stopwatch SinceStart { get; }

    /// <summary>Process start → the READY line (the runner's start-up as a harness sees it).</summary>
    public TimeSpan? ReadyAfter { get; private set; }

    /// <summary>Whether teardown had to kill the process.</summary>
    public bool ForcedTermination { get; private set; }

    public IReadOnlyList<string> StdoutLines => [.. _stdout];

    public string Stderr => string.Join('\n', _stderr);

    public bool HasExited => _exited.IsCompleted;

    public int ExitCode => _process.ExitCode;

    private string ExitCodeText => _process.HasExited ? $"exit code {_process.ExitCode}" : "still running";

    /// <summary>Where the built runner is: <c>Worker.Conformance/bin/&lt;configuration&gt;/&lt;tfm&gt;/</c> beside this test project's output.</summary>
    public static string LocateRunner()
    {
        if (Environment.GetEnvironmentVariable(RunnerPathVariable) is { Length: > 0 } overridden)
        {
            return overridden;
        }

        // <repo>/Worker.Tests/bin/<configuration>/<tfm>/
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var repo = testOutput.Parent.Parent!.Parent!.Parent!.FullName;
        var candidates = new[]
        {
            Path.Combine(repo, "Worker.Conformance", "bin", configuration, tfm, "Aion.Worker.Conformance.dll"),

            // The project reference also copies the runner next to the tests.
            Path.Combine(testOutput.FullName, "Aion.Worker.Conformance.dll"),
        };
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"The conformance runner is not built (looked in {string.Join(", ", candidates)}): run `dotnet build Worker.sln` first.");
    }

    /// <summary>Starts <c>dotnet Aion.Worker.Conformance.dll</c> with <paramref name="environment"/> (every AION_* variable of this process removed first).</summary>
    public static RunnerProcess Start(IReadOnlyDictionary<string, string> environment)
    {
        var runner = LocateRunner();
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            WorkingDirectory = Path.GetDirectoryName(runner)!,
        };
        start.ArgumentList.Add(runner);
        foreach (var name in InheritedVariables)
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var sinceStart = Stopwatch.StartNew();
        var process = Process.Start(start) ?? throw new InvalidOperationException("The runner process did not start.");
        return new RunnerProcess(process, sinceStart);
    }

    /// <summary>Waits (bounded) for the READY line.</summary>
    public Task<string> WaitReadyAsync(TimeSpan? bound = null) => _ready.Task.Within(bound ?? TimeSpan.FromSeconds(15));

    /// <summary>Waits (bounded) for the process to exit and returns its exit code; on timeout the error carries what the runner wrote.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? bound = null)
    {
        var limit = bound ?? TimeSpan.FromSeconds(10);
        try
        {
            await _exited.Within(limit);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(
                $"The runner did not exit within {limit.TotalSeconds:F0} s ({SinceStart.Elapsed.TotalMilliseconds:F0} ms since start).\nstdout:\n{string.Join('\n', _stdout)}\nstderr:\n{Stderr}",
                ex);
        }

        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM (<c>kill -TERM pid</c>; <see cref="Process.Kill()"/> would be SIGKILL).</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill")
        {
            ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            UseShellExecute = false,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("kill did not start.");
        await kill.WaitForExitAsync().Within(TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// Stops the process if it still runs: SIGTERM and a bounded wait for a graceful exit, then a
    /// forced kill of the whole tree (<see cref="ForcedTermination"/>). Returns the exit code.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan? graceful = null)
    {
        if (!_exited.IsCompleted)
        {
            try
            {
                if (!_process.HasExited)
                {
                    await TerminateAsync();
                }

                await _exited.WaitAsync(graceful ?? TimeSpan.FromSeconds(5));
            }
            catch (Exception) when (!_exited.IsCompleted)
            {
                ForcedTermination = true;
                _process.Kill(entireProcessTree: true);
                await _exited.WaitAsync(TimeSpan.FromSeconds(5));
            }
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(TimeSpan.FromSeconds(3));
        }
        catch (Exception)
        {
            // Teardown: the test already failed or asserted what mattered.
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>The dotnet host running these tests (the SDK sets DOTNET_HOST_PATH), else <c>dotnet</c> on the PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        return "dotnet";
    }
}
