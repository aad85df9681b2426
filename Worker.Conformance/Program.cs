using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Aion.Worker;
using Aion.Worker.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

// A worker process for outside conformance harnesses, built only on the public API.
// See docs/conformance.md.
var started = Stopwatch.StartNew();
var endpointText = Environment.GetEnvironmentVariable("AION_WORKER_CONFORMANCE_ENDPOINT");
if (string.IsNullOrWhiteSpace(endpointText))
{
    endpointText = Environment.GetEnvironmentVariable("AION_ENDPOINT");
}

if (string.IsNullOrWhiteSpace(endpointText))
{
    Console.Error.WriteLine("""
        usage: AION_WORKER_CONFORMANCE_ENDPOINT=http://host:port dotnet Aion.Worker.Conformance.dll
          AION_WORKER_CONFORMANCE_ENDPOINT  engine URL (falls back to AION_ENDPOINT)          required
          AION_WORKER_CONFORMANCE_NAMESPACE namespace                                          default conformance
          AION_WORKER_CONFORMANCE_MAX_CONCURRENCY                                               default 2
          AION_WORKER_CONFORMANCE_SCENARIO  the scenario being run (informational)
          AION_WORKER_CONFORMANCE_FIXTURES  'strict' registers only the six shared fixtures
          AION_WORKER_RECONNECT             initialMs,maxMs,attempts                           default 50,2000,5
        """);
    return 2;
}

if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
{
    Console.Error.WriteLine($"error: '{endpointText}' is not an absolute http:// or https:// URL");
    return 2;
}

var ns = Environment.GetEnvironmentVariable("AION_WORKER_CONFORMANCE_NAMESPACE") is { Length: > 0 } configuredNamespace ? configuredNamespace : "conformance";
var maxConcurrencyText = Environment.GetEnvironmentVariable("AION_WORKER_CONFORMANCE_MAX_CONCURRENCY");
var maxConcurrency = 2;
if (!string.IsNullOrWhiteSpace(maxConcurrencyText) && !int.TryParse(maxConcurrencyText, CultureInfo.InvariantCulture, out maxConcurrency))
{
    Console.Error.WriteLine($"error: AION_WORKER_CONFORMANCE_MAX_CONCURRENCY '{maxConcurrencyText}' is not an integer");
    return 2;
}

var scenario = Environment.GetEnvironmentVariable("AION_WORKER_CONFORMANCE_SCENARIO") ?? "unspecified";
var strict = string.Equals(Environment.GetEnvironmentVariable("AION_WORKER_CONFORMANCE_FIXTURES"), "strict", StringComparison.OrdinalIgnoreCase);
if (!TryParseReconnect(Environment.GetEnvironmentVariable("AION_WORKER_RECONNECT"), out var reconnect, out var reconnectError))
{
    Console.Error.WriteLine($"error: AION_WORKER_RECONNECT {reconnectError}");
    return 2;
}

// Logs go to stderr: stdout carries only the harness's marker lines.
using var loggerFactory = LoggerFactory.Create(logging =>
{
    logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Information);
    logging.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
});

var fixtures = new ConformanceFixtures();
AionWorker worker;
try
{
    var builder = AionWorker.CreateBuilder(new AionWorkerOptions
    {
        Namespaces = [ns],
        TaskQueue = "conformance",
        Identity = "conformance",
        MaxConcurrency = maxConcurrency,
        Reconnect = reconnect,
    });
    fixtures.Register(builder, strict);
    worker = builder
        .UseGrpc(endpoint)
        .UseLoggerFactory(loggerFactory)
        .Build();
}
catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}

using var shutdown = new CancellationTokenSource();
using var abandon = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
var ready = 0;
worker.SessionStarted += (_, e) =>
{
    // Once: the first registration is the start-up; a re-registration after a reconnect is logged by the worker.
    if (Interlocked.Exchange(ref ready, 1) == 0)
    {
        Console.WriteLine($"AION_WORKER_CONFORMANCE_READY sdk=csharp scenario={scenario} worker_id={e.Registration.WorkerId} startup_ms={started.Elapsed.TotalMilliseconds:F0}");
    }
};

try
{
    await worker.RunAsync(shutdown.Token, abandon.Token);
    var summary = worker.LastRunSummary;
    var unacked = summary?.UnackedResults.Count ?? 0;
    Console.WriteLine($"AION_WORKER_CONFORMANCE_STOPPED sdk=csharp scenario={scenario} peak_concurrency={fixtures.PeakConcurrency} unacked={unacked}");
    if (unacked > 0)
    {
        // The run ended, but the engine did not confirm every result: it may not have them.
        Console.Error.WriteLine($"error: the engine did not acknowledge every result: {summary}");
        return 3;
    }

    return 0;
}
catch (AionWorkerException ex)
{
    Console.Error.WriteLine($"error: the worker run failed ({ex.Kind}{(ex.StatusCode is { } code ? $", {code}" : string.Empty)}): {ex.Message}");
    return 1;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"error: the worker run failed: {ex}");
    return 1;
}

void Stop(PosixSignalContext context)
{
    // The first signal is graceful: in-flight results are reported (and their acks awaited) before
    // the process exits. A second one abandons: the run returns at once, logging what is left.
    context.Cancel = true;
    if (shutdown.IsCancellationRequested)
    {
        abandon.Cancel();
    }
    else
    {
        shutdown.Cancel();
    }
}

static bool TryParseReconnect(string? text, out ReconnectOptions options, out string error)
{
    options = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(2000), MaxAttempts = 5 };
    error = string.Empty;
    if (string.IsNullOrWhiteSpace(text))
    {
        return true;
    }

    var parts = text.Split(',', StringSplitOptions.TrimEntries);
    if (parts.Length != 3
        || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var initial)
        || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var max)
        || !int.TryParse(parts[2], CultureInfo.InvariantCulture, out var attempts))
    {
        error = $"'{text}' must be initialMs,maxMs,attempts";
        return false;
    }

    options = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(initial), MaxBackoff = TimeSpan.FromMilliseconds(max), MaxAttempts = attempts };
    return true;
}
