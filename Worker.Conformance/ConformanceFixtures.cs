using System.Text.Json;
using Aion.Worker.Protocol;

namespace Aion.Worker.Conformance;

/// <summary>
/// The fixture activities of Aion's cross-SDK worker conformance scenarios, built only on the
/// public API. One instance per worker: it counts the peak number of fixture activities running
/// at once and can release blocked <c>conformance.blocking-echo</c> activities.
/// </summary>
public sealed class ConformanceFixtures
{
    /// <summary>Return the input.</summary>
    public const string Echo = "conformance.echo";

    /// <summary>Fail retryable ("retryable" in the message).</summary>
    public const string FailRetryable = "conformance.fail-retryable";

    /// <summary>Fail terminal ("terminal" in the message).</summary>
    public const string FailTerminal = "conformance.fail-terminal";

    /// <summary>Heartbeat halfway, then complete.</summary>
    public const string HeartbeatSlow = "conformance.heartbeat-slow";

    /// <summary>Poll cancellation; fail terminal "cancelled" once cancelled.</summary>
    public const string CancelObserving = "conformance.cancel-observing";

    /// <summary>Wait until released (<see cref="ReleaseBlocked"/>, or <c>releaseAfterMs</c> of the input), then echo; cancellation ends the wait.</summary>
    public const string BlockingEcho = "conformance.blocking-echo";

    /// <summary>Sleep <c>sleepMs</c> ignoring cancellation, then echo (not a shared fixture).</summary>
    public const string SleepEcho = "conformance.sleep-echo";

    /// <summary>Echo, for load runs (not a shared fixture).</summary>
    public const string BenchEcho = "bench.echo";

    /// <summary>The six fixtures every SDK registers.</summary>
    public static readonly IReadOnlyList<string> SharedTypes = [Echo, FailRetryable, FailTerminal, HeartbeatSlow, CancelObserving, BlockingEcho];

    /// <summary>The longest delay a timer takes (4,294,967,294 ms); longer inputs are capped.</summary>
    private const double MaxDelayMilliseconds = uint.MaxValue - 1.0;

    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;
    private int _peak;
    private int _cancellationsObserved;

    /// <summary>Creates the fixtures.</summary>
    /// <param name="time">The clock for the fixtures' own delays (the worker's clock in tests).</param>
    public ConformanceFixtures(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The most fixture activities that ran at once.</summary>
    public int PeakConcurrency => Volatile.Read(ref _peak);

    /// <summary>Fixture activities running now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>How many times <c>conformance.cancel-observing</c> saw its token fire.</summary>
    public int CancellationsObserved => Volatile.Read(ref _cancellationsObserved);

    /// <summary>Releases every blocked <c>conformance.blocking-echo</c> (present and future waits until <see cref="Rearm"/>).</summary>
    public void ReleaseBlocked()
    {
        lock (_gate)
        {
            _release.TrySetResult();
        }
    }

    /// <summary>Makes future <c>conformance.blocking-echo</c> activities block again, and resets the peak count.</summary>
    public void Rearm()
    {
        lock (_gate)
        {
            if (_release.Task.IsCompleted)
            {
                _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            Volatile.Write(ref _peak, Volatile.Read(ref _running));
        }
    }

    /// <summary>Registers the fixtures on <paramref name="builder"/>.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <param name="strict">Only the six shared fixtures (no sleep-echo, no bench.echo).</param>
    /// <returns>The builder.</returns>
    public AionWorkerBuilder Register(AionWorkerBuilder builder, bool strict = false)
    {
        builder
            .AddActivity<Payload, Payload>(Echo, (input, _) => Counted(() => Task.FromResult(input)))
            .AddActivity<JsonElement, JsonElement>(FailRetryable, (_, _) => Counted<JsonElement>(() =>
                throw new RetryableActivityException("conformance retryable failure")))
            .AddActivity<JsonElement, JsonElement>(FailTerminal, (_, _) => Counted<JsonElement>(() =>
                throw new TerminalActivityException("conformance terminal failure")))
            .AddActivity<HeartbeatSlowInput, HeartbeatSlowOutput>(HeartbeatSlow, (input, context) => Counted(() => HeartbeatSlowAsync(input, context)))
            .AddActivity<CancelObservingInput, JsonElement>(CancelObserving, (input, context) => Counted(() => CancelObservingAsync(input, context)))
            .AddActivity<Payload, Payload>(BlockingEcho, (input, context) => Counted(() => BlockingEchoAsync(input, context)));
        if (!strict)
        {
            builder
                .AddActivity<Payload, Payload>(SleepEcho, (input, _) => Counted(() => SleepEchoAsync(input)))
                .AddActivity<Payload, Payload>(BenchEcho, (input, _) => input);
        }

        return builder;
    }

    private async Task<T> Counted<T>(Func<Task<T>> body)
    {
        var now = Interlocked.Increment(ref _running);
        int peak;
        while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
        {
        }

        try
        {
            return await body().ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private async Task<HeartbeatSlowOutput> HeartbeatSlowAsync(HeartbeatSlowInput input, ActivityContext context)
    {
        var started = _time.GetTimestamp();
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, input.HeartbeatAfterMs)), _time, context.CancellationToken).ConfigureAwait(false);
        await context.HeartbeatAsync(new { phase = "halfway", percent = 50 }, context.CancellationToken).ConfigureAwait(false);
        var left = TimeSpan.FromMilliseconds(Math.Max(0, input.CompleteAfterMs)) - _time.GetElapsedTime(started);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, _time, context.CancellationToken).ConfigureAwait(false);
        }

        return new HeartbeatSlowOutput("completed-after-heartbeat");
    }

    private async Task<JsonElement> CancelObservingAsync(CancelObservingInput input, ActivityContext context)
    {
        var every = TimeSpan.FromMilliseconds(Math.Max(1, input.PollEveryMs));
        while (true)
        {
            if (context.CancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _cancellationsObserved);
                throw new TerminalActivityException($"conformance activity cancelled ({context.CancellationReason})");
            }

            try
            {
                await Task.Delay(every, _time, context.CancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                // Observed on the next poll.
            }
        }
    }

    private async Task<Payload> BlockingEchoAsync(Payload input, ActivityContext context)
    {
        Task release;
        lock (_gate)
        {
            release = _release.Task;
        }

        var releaseAfter = ReadMilliseconds(input, "releaseAfterMs");
        if (releaseAfter is { } after)
        {
            release = Task.WhenAny(release, Task.Delay(after, _time));
        }

        // Cancellation (shutdown, a cancel request) ends the wait: a process told to stop must not
        // hang behind a task that nothing on the wire can release.
        await release.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        return input;
    }

    private async Task<Payload> SleepEchoAsync(Payload input)
    {
        if (ReadMilliseconds(input, "sleepMs") is { } sleep)
        {
            // Deliberately ignores cancellation: the shutdown path must wait for it.
            await Task.Delay(sleep, _time).ConfigureAwait(false);
        }

        return input;
    }

    private static TimeSpan? ReadMilliseconds(Payload input, string property)
    {
        try
        {
            using var document = JsonDocument.Parse(input.Bytes.Memory);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(property, out var value)
                && value.ValueKind == JsonValueKind.Number
                && value.TryGetDouble(out var milliseconds)
                && milliseconds >= 0
                ? TimeSpan.FromMilliseconds(Math.Min(milliseconds, MaxDelayMilliseconds))
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Input of <c>conformance.heartbeat-slow</c>.</summary>
    /// <param name="HeartbeatAfterMs">When to heartbeat, from the activity's start.</param>
    /// <param name="CompleteAfterMs">When to complete, from the activity's start.</param>
    public sealed record HeartbeatSlowInput(int HeartbeatAfterMs = 10, int CompleteAfterMs = 20);

    /// <summary>Output of <c>conformance.heartbeat-slow</c>.</summary>
    /// <param name="Status">Always <c>completed-after-heartbeat</c>.</param>
    public sealed record HeartbeatSlowOutput(string Status);

    /// <summary>Input of <c>conformance.cancel-observing</c>.</summary>
    /// <param name="PollEveryMs">The poll interval.</param>
    public sealed record CancelObservingInput(int PollEveryMs = 10);
}
