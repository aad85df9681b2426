using Aion.Worker.Internal.Session;

namespace Aion.Worker.Internal.Reconnect;

/// <summary>
/// The run loop's policy after a session ended, with no I/O (spec/BEHAVIOUR.md, "Run loop",
/// "Drop budget", "Session end classification"): one counter of clean-close and error drops for
/// the whole run, reset by a healthy session, checked against MaxAttempts right after the increment;
/// drains spend nothing; each row of the classification table becomes a <see cref="DropDecision"/>.
/// </summary>
internal sealed class DropBudget(int maxAttempts, TimeSpan initialBackoff, Backoff backoff, bool hasTokenProvider)
{
    /// <summary>The drop counter.</summary>
    public int Drops { get; private set; }

    /// <summary>The error of the last error drop, until a drain or a clean close: what shutdown during the next establishment or replay fails the run with.</summary>
    public AionWorkerException? LastDropError { get; private set; }

    /// <summary>Decides what the run does after <paramref name="end"/>.</summary>
    /// <param name="end">The classified end of the session.</param>
    /// <param name="shutdownSignalled">Whether shutdown was signalled by the time the session ended.</param>
    /// <param name="interruptedReplay">Whether shutdown ended the session before its replay finished.</param>
    public DropDecision OnSessionEnd(SessionEnd end, bool shutdownSignalled, bool interruptedReplay)
    {
        switch (end.Kind)
        {
            case SessionEndKind.Shutdown:
                return new DropDecision(DropVerdict.Shutdown, Drops, Error: interruptedReplay ? LastDropError : null);

            case SessionEndKind.Drain:
                // A drain spends no budget, but a healthy session resets the counter like any other drop.
                if (end.Healthy)
                {
                    Drops = 0;
                }

                if (shutdownSignalled)
                {
                    return new DropDecision(DropVerdict.EndedAtShutdown, Drops);
                }

                LastDropError = null;
                return new DropDecision(DropVerdict.Drain, Drops, initialBackoff, "drain");

            case SessionEndKind.CleanClose:
                if (shutdownSignalled)
                {
                    return new DropDecision(DropVerdict.EndedAtShutdown, Drops);
                }

                Count(end);
                LastDropError = null;
                if (Drops >= maxAttempts)
                {
                    var exhausted = new AionWorkerException(
                        AionErrorKind.ServerClosedRepeatedly,
                        $"The server repeatedly closed the stream cleanly: {Drops} budgeted drops in a row reached Reconnect.MaxAttempts ({maxAttempts}).");
                    return new DropDecision(DropVerdict.Exhausted, Drops, Error: exhausted);
                }

                return new DropDecision(DropVerdict.Drop, Drops, backoff.Delay(Drops), "drop");

            default:
                var error = end.Error ?? throw new ArgumentException("An error end carries its error.", nameof(end));
                if (!SessionEndClassifier.IsRetryableMidStream(error, hasTokenProvider))
                {
                    return new DropDecision(DropVerdict.NonRetryable, Drops, Error: error);
                }

                if (shutdownSignalled)
                {
                    return new DropDecision(DropVerdict.EndedAtShutdown, Drops, Error: error);
                }

                Count(end);
                if (Drops >= maxAttempts)
                {
                    return new DropDecision(DropVerdict.Exhausted, Drops, Error: error);
                }

                LastDropError = error;
                return new DropDecision(DropVerdict.Drop, Drops, backoff.Delay(Drops), "drop", error);
        }
    }

    private void Count(SessionEnd end) => Drops = (end.Healthy ? 0 : Drops) + 1;
}
