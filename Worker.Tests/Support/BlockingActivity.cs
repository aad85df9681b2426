using System.Collections.Concurrent;

namespace Aion.Worker.Tests.Support;

/// <summary>
/// A string activity that blocks until the test releases it (keyed by its input), counting how
/// many run at once and remembering every context it saw.
/// </summary>
public sealed class BlockingActivity
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Exception?>> _gates = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ActivityContext>> _started = new();
    private readonly ConcurrentQueue<string> _startOrder = new();
    private int _running;
    private int _peak;

    /// <summary>The activity type it is registered as.</summary>
    public const string Type = "test.block";

    /// <summary>How many handlers run now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>The most handlers ever seen running at once.</summary>
    public int Peak => Volatile.Read(ref _peak);

    /// <summary>Inputs in the order their handlers started.</summary>
    public IReadOnlyList<string> StartOrder => [.. _startOrder];

    /// <summary>Whether the handler for <paramref name="input"/> was ever called.</summary>
    public bool HasStarted(string input) => _started.TryGetValue(input, out var started) && started.Task.IsCompleted;

    public AionWorkerBuilder Register(AionWorkerBuilder builder) => builder.AddActivity<string, string>(Type, HandleAsync);

    /// <summary>Waits (bounded) until the handler for <paramref name="input"/> runs; returns its context.</summary>
    public Task<ActivityContext> WaitStartedAsync(string input) => Started(input).Task.Within();

    /// <summary>Lets the handler for <paramref name="input"/> return its input.</summary>
    public void Release(string input) => Gate(input).TrySetResult(null);

    /// <summary>Makes the handler for <paramref name="input"/> throw <paramref name="error"/>.</summary>
    public void Fail(string input, Exception error) => Gate(input).TrySetResult(error);

    /// <summary>Releases every handler, started or not.</summary>
    public void ReleaseAll()
    {
        foreach (var gate in _gates.Values)
        {
            gate.TrySetResult(null);
        }
    }

    private async Task<string> HandleAsync(string input, ActivityContext context)
    {
        var running = Interlocked.Increment(ref _running);
        int peak;
        while (running > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, running, peak) != peak)
        {
        }

        try
        {
            _startOrder.Enqueue(input);
            Started(input).TrySetResult(context);
            var error = await Gate(input).Task.ConfigureAwait(false);
            if (error is not null)
            {
                throw error;
            }

            return input;
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private TaskCompletionSource<Exception?> Gate(string input) =>
        _gates.GetOrAdd(input, static _ => new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously));

    private TaskCompletionSource<ActivityContext> Started(string input) =>
        _started.GetOrAdd(input, static _ => new TaskCompletionSource<ActivityContext>(TaskCreationOptions.RunContinuationsAsynchronously));
}
