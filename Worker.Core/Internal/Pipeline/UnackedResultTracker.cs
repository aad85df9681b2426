using System.Diagnostics;
using System.Runtime.InteropServices;
using Aion.Worker.Protocol;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// One outcome kept until the engine acknowledges it. The worker's <see cref="ActivityExecution"/>
/// is its own tracked result (one object per task); a standalone entry serves tests and tools.
/// </summary>
internal class TrackedResult(ResultKey resultKey, uint attempt)
{
    private WorkerToServer? _frame;

    public ResultKey ResultKey { get; } = resultKey;
    public uint Attempt { get; } = attempt;

    /// <summary>The outcome's frame, set when it is recorded.</summary>
    public WorkerToServer Frame => _frame ?? throw new InvalidOperationException("The outcome was not recorded yet.");

    /// <summary>The encoded size of <see cref="Frame"/>, counted against MaxUnackedResultBytes.</summary>
    public int Size { get; private set; }

    /// <summary>The session this outcome was last sent on; 0 = never sent.</summary>
    public long SentOnSession { get; set; }

    /// <summary>The place of this outcome's send among the sends of its key on <see cref="SentOnSession"/> (1-based).</summary>
    public int SendOrdinal { get; set; }

    // Per key, carried from outcome to outcome: sends and acks counted on one session. The engine
    // acks each result it receives, in order, and an ack names no attempt, so the n-th ack on a
    // session answers the n-th send there. That tells a stale ack (for an outcome this one
    // replaced) from this outcome's own ack, even when the ack beats the write's return.
    public long CountedSession { get; set; }
    public int SendsOnCountedSession { get; set; }
    public int AcksOnCountedSession { get; set; }

    /// <summary>Whether the outcome was recorded (an entry is recorded once).</summary>
    internal bool IsRecorded => _frame is not null;

    /// <summary>Sets the outcome, before the entry is published in the tracker.</summary>
    internal void SetOutcome(WorkerToServer frame, int size)
    {
        _frame = frame;
        Size = size;
    }
}

/// <summary>What <see cref="UnackedResultTracker.TryAck"/> did.</summary>
internal enum AckOutcome
{
    Removed,
    Unknown,
    NotSentOnThisSession,
}

/// <summary>
/// The results the engine has not acknowledged yet, for the whole run. Keyed by (workflow id, position);
/// a lower attempt never replaces a higher one; an ack removes an entry only when the entry's current
/// outcome was sent on the acking session.
/// </summary>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
internal sealed class UnackedResultTracker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ResultKey, TrackedResult> _entries = [];
    private long _currentSession;
    private int _awaitingAckOnCurrent;
    private long _bytes;

    /// <summary>The encoded bytes of every tracked result.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>The entry count without the lock, for the debugger display only (a stopped thread may hold the lock).</summary>
    internal int CountUnlocked => _entries.Count;

    private string DebuggerDisplay => $"{_entries.Count} unacked; session {_currentSession}: {_awaitingAckOnCurrent} sent and awaiting ack";

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Results sent on the current session and not yet acked.</summary>
    public int AwaitingAckOnCurrentSession
    {
        get
        {
            lock (_gate)
            {
                return _awaitingAckOnCurrent;
            }
        }
    }

    /// <summary>Records an outcome in a new standalone entry; returns it, or <see langword="null"/> and the higher attempt kept when superseded.</summary>
    public TrackedResult? Record(ResultKey key, uint attempt, WorkerToServer frame, out uint keptAttempt)
    {
        var entry = new TrackedResult(key, attempt);
        return Record(entry, frame, out keptAttempt) ? entry : null;
    }

    /// <summary>Records <paramref name="frame"/> as the outcome of <paramref name="entry"/> (never recorded before); false, with the higher attempt kept, when superseded.</summary>
    public bool Record(TrackedResult entry, WorkerToServer frame, out uint keptAttempt)
    {
        if (entry.IsRecorded)
        {
            throw new InvalidOperationException($"The outcome of {entry.ResultKey} attempt {entry.Attempt} was already recorded.");
        }

        var size = frame.CalculateSize();
        var key = entry.ResultKey;
        lock (_gate)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, key, out var exists);
            var existing = slot;
            if (exists)
            {
                if (existing!.Attempt > entry.Attempt)
                {
                    keptAttempt = existing.Attempt;
                    return false;
                }

                ForgetSent(existing);
                Volatile.Write(ref _bytes, _bytes - existing.Size);
                entry.CountedSession = existing.CountedSession;
                entry.SendsOnCountedSession = existing.SendsOnCountedSession;
                entry.AcksOnCountedSession = existing.AcksOnCountedSession;
            }

            entry.SetOutcome(frame, size);
            Volatile.Write(ref _bytes, _bytes + size);
            slot = entry;
            keptAttempt = entry.Attempt;
            return true;
        }
    }

    /// <summary>Starts counting the results sent on a new session.</summary>
    public void BeginSession(long sessionId)
    {
        lock (_gate)
        {
            _currentSession = sessionId;
            _awaitingAckOnCurrent = 0;
        }
    }

    /// <summary>Whether <paramref name="entry"/> is still the current outcome of its key and was not yet sent on <paramref name="sessionId"/>.</summary>
    public bool NeedsSending(TrackedResult entry, long sessionId)
    {
        lock (_gate)
        {
            return entry.SentOnSession != sessionId && _entries.TryGetValue(entry.ResultKey, out var current) && ReferenceEquals(current, entry);
        }
    }

    /// <summary>Notes that <paramref name="entry"/> is being sent on <paramref name="sessionId"/> (call it before the write: the ack may beat the write's return); false when it was replaced meanwhile.</summary>
    public bool MarkSent(TrackedResult entry, long sessionId)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(entry.ResultKey, out var current) || !ReferenceEquals(current, entry))
            {
                return false;
            }

            if (entry.SentOnSession != sessionId && sessionId == _currentSession)
            {
                _awaitingAckOnCurrent++;
            }

            if (entry.CountedSession != sessionId)
            {
                entry.CountedSession = sessionId;
                entry.SendsOnCountedSession = 0;
                entry.AcksOnCountedSession = 0;
            }

            entry.SendOrdinal = ++entry.SendsOnCountedSession;
            entry.SentOnSession = sessionId;
            return true;
        }
    }

    /// <summary>Removes the entry for <paramref name="key"/> if its current outcome was sent on <paramref name="sessionId"/>.</summary>
    public AckOutcome TryAck(ResultKey key, long sessionId)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                return AckOutcome.Unknown;
            }

            if (entry.CountedSession == sessionId)
            {
                entry.AcksOnCountedSession++;
            }

            // An ack for an earlier send of this key (an outcome this one replaced) leaves it tracked.
            if (entry.SentOnSession != sessionId || entry.AcksOnCountedSession < entry.SendOrdinal)
            {
                return AckOutcome.NotSentOnThisSession;
            }

            ForgetSent(entry);
            _entries.Remove(key);
            Volatile.Write(ref _bytes, _bytes - entry.Size);
            return AckOutcome.Removed;
        }
    }

    /// <summary>Every entry, ordered by workflow id then position, for replay.</summary>
    public TrackedResult[] Snapshot()
    {
        TrackedResult[] entries;
        lock (_gate)
        {
            entries = [.. _entries.Values];
        }

        Array.Sort(entries, static (a, b) => a.ResultKey.CompareTo(b.ResultKey));
        return entries;
    }

    private void ForgetSent(TrackedResult entry)
    {
        if (entry.SentOnSession != 0 && entry.SentOnSession == _currentSession)
        {
            _awaitingAckOnCurrent--;
        }
    }
}
