using System.Globalization;
using Aion.Worker.Internal;

namespace Aion.Worker;

/// <summary>How the worker establishes its session and how many drops it tolerates.</summary>
/// <remarks>
/// The backoff after failed try or budgeted drop <c>n</c> is
/// <c>min(InitialBackoff × 2^(n−1), MaxBackoff)</c>, optionally shortened by <see cref="Jitter"/>.
/// </remarks>
public sealed class ReconnectOptions
{
    /// <summary>The first backoff, and the redial delay after a drain.</summary>
    /// <value>Required; greater than zero.</value>
    public TimeSpan InitialBackoff { get; set; }

    /// <summary>The largest backoff; also the session-health threshold of the drop budget.</summary>
    /// <value>Required; greater than zero.</value>
    /// <remarks>
    /// A session connected strictly longer than this (from its RegisterAck to its end), or that sent a live
    /// result, resets the drop budget. A session that ended because the unacked tracker stayed full with no
    /// ack for this long (<see cref="AionErrorKind.UnackedResultsStalled"/>) is never healthy, however long
    /// it lasted: a worker that cannot reach its acks fails after <see cref="MaxAttempts"/> such sessions.
    /// </remarks>
    public TimeSpan MaxBackoff { get; set; }

    /// <summary>The establishment attempt limit and the mid-run drop budget.</summary>
    /// <value>Required; at least 1.</value>
    public int MaxAttempts { get; set; }

    /// <summary>Whether the very first establishment retries without limit (a host that starts before its engine).</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool RetryFirstConnectForever { get; set; }

    /// <summary>The fraction of each backoff that may be randomly taken off, to spread reconnect storms.</summary>
    /// <value>Default 0 (no jitter); between 0 and 1. With 0.2 each sleep lasts between 80% and 100% of its backoff.</value>
    public double Jitter { get; set; }

    internal ReconnectOptions Clone() => (ReconnectOptions)MemberwiseClone();

    /// <summary>Checks every rule; <see cref="AionWorkerOptions.Validate()"/> reports these as <c>Reconnect.…</c>.</summary>
    internal void Validate(OptionProblems problems)
    {
        problems.Positive(nameof(InitialBackoff), InitialBackoff);
        problems.Positive(nameof(MaxBackoff), MaxBackoff);
        problems.AtLeast(nameof(MaxAttempts), MaxAttempts, 1);
        if (double.IsNaN(Jitter) || Jitter < 0 || Jitter > 1)
        {
            problems.Add(nameof(Jitter), string.Create(CultureInfo.InvariantCulture, $"must be between 0 and 1 (was {Jitter})."));
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"InitialBackoff={InitialBackoff}, MaxBackoff={MaxBackoff}, MaxAttempts={MaxAttempts}, RetryFirstConnectForever={RetryFirstConnectForever}, Jitter={Jitter}";
}
