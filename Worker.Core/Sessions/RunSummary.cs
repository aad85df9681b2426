namespace Aion.Worker;

/// <summary>
/// What a run left undelivered: every result still in the unacked tracker when it ended, sent or
/// not, with its ids. Empty when the engine acknowledged every result the run produced.
/// </summary>
/// <remarks>
/// A graceful shutdown waits up to <see cref="AionWorkerOptions.ShutdownAckTimeout"/> for the acks of
/// the results it sent; what is still unacknowledged then is listed here (and logged at Warning). A
/// host can use it to decide its exit code, as the conformance runner does (exit code 3).
/// </remarks>
public sealed class RunSummary
{
    internal RunSummary(IReadOnlyList<UnackedResult> unackedResults) => UnackedResults = unackedResults;

    /// <summary>Every result the engine had not acknowledged, ordered by workflow id then activity id.</summary>
    public IReadOnlyList<UnackedResult> UnackedResults { get; }

    /// <summary>Whether every result was acknowledged.</summary>
    public bool IsEmpty => UnackedResults.Count == 0;

    /// <summary>Describes the summary: the count, and the first ids.</summary>
    /// <returns>E.g. <c>2 unacknowledged results: wf-1/1#1 (sent), wf-2/1#1 (never sent)</c>.</returns>
    public override string ToString() => IsEmpty
        ? "no unacknowledged results"
        : $"{UnackedResults.Count} unacknowledged result{(UnackedResults.Count == 1 ? "" : "s")}: {string.Join(", ", UnackedResults.Take(100))}{(UnackedResults.Count > 100 ? ", …" : "")}";
}
