using System.Collections.Concurrent;

namespace Aion.Worker.Tests.Support;

/// <summary>Records a worker's <see cref="AionWorker.SessionStarted"/> and <see cref="AionWorker.SessionEnded"/> events, and waits for them.</summary>
public sealed class SessionRecorder
{
    private readonly ConcurrentQueue<SessionStartedEventArgs> _started = new();
    private readonly ConcurrentQueue<SessionEndedEventArgs> _ended = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SessionRecorder(AionWorker worker)
    {
        worker.SessionStarted += (_, e) =>
        {
            RegistrationAtStart.Enqueue(worker.CurrentRegistration);
            _started.Enqueue(e);
            Changed();
        };
        worker.SessionEnded += (_, e) =>
        {
            RegistrationAtEnd.Enqueue(worker.CurrentRegistration);
            _ended.Enqueue(e);
            Changed();
        };
    }

    public IReadOnlyList<SessionStartedEventArgs> Started => [.. _started];

    public IReadOnlyList<SessionEndedEventArgs> Ended => [.. _ended];

    /// <summary>The worker's <see cref="AionWorker.CurrentRegistration"/> seen inside each SessionStarted handler.</summary>
    public ConcurrentQueue<WorkerRegistration?> RegistrationAtStart { get; } = new();

    /// <summary>The worker's <see cref="AionWorker.CurrentRegistration"/> seen inside each SessionEnded handler.</summary>
    public ConcurrentQueue<WorkerRegistration?> RegistrationAtEnd { get; } = new();

    /// <summary>The drop counter after each session end, in order.</summary>
    public int[] Drops => Ended.Select(e => e.Drops).ToArray();

    /// <summary>Waits (real time, bounded) for the first session end.</summary>
    public async Task<SessionEnd> WaitForEndAsync() => (await WaitForEndAsync(1).ConfigureAwait(false)).End;

    /// <summary>Waits (real time, bounded) until the <paramref name="number"/>-th session ended, and returns that end.</summary>
    public async Task<SessionEndedEventArgs> WaitForEndAsync(int number)
    {
        using var bound = new CancellationTokenSource(Bounds.Default);
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            var ended = Ended;
            if (ended.Count >= number)
            {
                return ended[number - 1];
            }

            await changed.WaitAsync(bound.Token).ConfigureAwait(false);
        }
    }

    private void Changed() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
