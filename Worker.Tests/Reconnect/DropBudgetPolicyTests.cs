using Aion.Worker.Internal.Reconnect;
using Aion.Worker.Internal.Session;
using Grpc.Core;

namespace Aion.Worker.Tests.Reconnect;

/// <summary>
/// The drop budget as a pure policy, without I/O: every row of spec/BEHAVIOUR.md's session end
/// classification table, fed through the session-end classifier (drain latch, health) and the
/// budget (counter, exhaustion, backoff). Reconnect 5 ms / 20 ms.
/// </summary>
public sealed class DropBudgetPolicyTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan Max = TimeSpan.FromMilliseconds(20);
    private static readonly WorkerRegistration Registration = new(1, "default", TimeSpan.FromSeconds(30));

    private static readonly AionWorkerException Unavailable = AionWorkerException.FromStatus(new Status(StatusCode.Unavailable, "restarting"));
    private static readonly AionWorkerException Denied = AionWorkerException.FromStatus(new Status(StatusCode.PermissionDenied, "go away"));
    private static readonly AionWorkerException Unauthenticated = AionWorkerException.FromStatus(new Status(StatusCode.Unauthenticated, "token expired"));
    private static readonly AionWorkerException Decode = new(AionErrorKind.Protocol, "The engine sent a malformed frame: a second RegisterAck.");

    /// <summary>How a session ended, before classification.</summary>
    public sealed record Ending(SessionEndKind Kind, AionWorkerException? Error = null, bool DrainSeen = false, bool LiveResult = false, int ConnectedMs = 0)
    {
        public override string ToString() => $"{Kind}{(Error is null ? "" : $" ({Error.StatusCode?.ToString() ?? Error.Kind.ToString()})")}{(DrainSeen ? " after a drain" : "")}{(LiveResult ? ", live result" : "")}{(ConnectedMs > 0 ? $", {ConnectedMs} ms" : "")}";
    }

    /// <summary>What the policy must decide.</summary>
    public sealed class Expected(string verdict, SessionEndKind classifiedAs, int drops, int delayMs = 0, AionWorkerException? error = null, AionErrorKind? errorKind = null)
    {
        internal DropVerdict Verdict { get; } = Enum.Parse<DropVerdict>(verdict);
        public SessionEndKind ClassifiedAs { get; } = classifiedAs;
        public int Drops { get; } = drops;
        public int DelayMs { get; } = delayMs;
        public AionWorkerException? Error { get; } = error;
        public AionErrorKind? ErrorKind { get; } = errorKind;

        public override string ToString() => $"{verdict}, {Drops} drops";
    }

    public static IEnumerable<TestCaseData> ClassificationTable()
    {
        TestCaseData Row(string name, Ending ending, bool shutdown, int dropsBefore, int maxAttempts, Expected expected) =>
            new TestCaseData(ending, shutdown, dropsBefore, maxAttempts, expected).SetName($"{{m}}: {name}");

        // shutdown | – | the run ends OK
        yield return Row("shutdown ends the run OK", new(SessionEndKind.Shutdown), true, 1, 3, new(nameof(DropVerdict.Shutdown), SessionEndKind.Shutdown, 1));

        // drain frame received | no / yes | drain drop (no budget) / run ends OK
        yield return Row("drain redials after InitialBackoff without budget", new(SessionEndKind.CleanClose, DrainSeen: true), false, 2, 3, new(nameof(DropVerdict.Drain), SessionEndKind.Drain, 2, 5));
        yield return Row("drain while shutting down ends the run OK", new(SessionEndKind.CleanClose, DrainSeen: true), true, 2, 3, new(nameof(DropVerdict.EndedAtShutdown), SessionEndKind.Drain, 2));
        yield return Row("a healthy drain resets the counter", new(SessionEndKind.CleanClose, DrainSeen: true, LiveResult: true), false, 2, 3, new(nameof(DropVerdict.Drain), SessionEndKind.Drain, 0, 5));

        // clean close, no drain | no / yes | clean-close drop (budgeted) / run ends OK
        yield return Row("clean close is a budgeted drop", new(SessionEndKind.CleanClose), false, 1, 3, new(nameof(DropVerdict.Drop), SessionEndKind.CleanClose, 2, 10));
        yield return Row("clean close while shutting down ends the run OK", new(SessionEndKind.CleanClose), true, 1, 3, new(nameof(DropVerdict.EndedAtShutdown), SessionEndKind.CleanClose, 1));
        yield return Row("clean close reaching MaxAttempts fails with the dedicated error", new(SessionEndKind.CleanClose), false, 2, 3, new(nameof(DropVerdict.Exhausted), SessionEndKind.CleanClose, 3, errorKind: AionErrorKind.ServerClosedRepeatedly));

        // non-retryable error | – | run fails with it, even after a drain
        yield return Row("non-retryable error fails the run", new(SessionEndKind.Error, Denied), false, 1, 3, new(nameof(DropVerdict.NonRetryable), SessionEndKind.Error, 1, error: Denied));
        yield return Row("non-retryable error fails the run even after a drain", new(SessionEndKind.Error, Denied, DrainSeen: true), false, 0, 3, new(nameof(DropVerdict.NonRetryable), SessionEndKind.Error, 0, error: Denied));
        yield return Row("non-retryable error fails the run even while shutting down", new(SessionEndKind.Error, Denied), true, 0, 3, new(nameof(DropVerdict.NonRetryable), SessionEndKind.Error, 0, error: Denied));

        // retryable error after a drain frame | no / yes | drain drop (the drain latches) / run ends OK
        yield return Row("retryable error after a drain is a drain", new(SessionEndKind.Error, Unavailable, DrainSeen: true), false, 1, 3, new(nameof(DropVerdict.Drain), SessionEndKind.Drain, 1, 5));
        yield return Row("retryable error after a drain while shutting down ends the run OK", new(SessionEndKind.Error, Unavailable, DrainSeen: true), true, 1, 3, new(nameof(DropVerdict.EndedAtShutdown), SessionEndKind.Drain, 1));

        // retryable error, no drain | no / yes | error drop (budgeted) / run fails with it
        yield return Row("retryable error is a budgeted drop", new(SessionEndKind.Error, Unavailable), false, 0, 3, new(nameof(DropVerdict.Drop), SessionEndKind.Error, 1, 5, Unavailable));
        yield return Row("a decode error is a retryable error drop", new(SessionEndKind.Error, Decode), false, 1, 3, new(nameof(DropVerdict.Drop), SessionEndKind.Error, 2, 10, Decode));
        yield return Row("retryable error while shutting down fails the run with it", new(SessionEndKind.Error, Unavailable), true, 0, 3, new(nameof(DropVerdict.EndedAtShutdown), SessionEndKind.Error, 0, error: Unavailable));
        yield return Row("retryable error reaching MaxAttempts fails with it", new(SessionEndKind.Error, Unavailable), false, 2, 3, new(nameof(DropVerdict.Exhausted), SessionEndKind.Error, 3, error: Unavailable));

        // Drop budget: the counter resets before the increment when the session proved healthy.
        yield return Row("a live result makes the session healthy", new(SessionEndKind.Error, Unavailable, LiveResult: true), false, 2, 3, new(nameof(DropVerdict.Drop), SessionEndKind.Error, 1, 5, Unavailable));
        yield return Row("connected strictly longer than MaxBackoff is healthy", new(SessionEndKind.CleanClose, ConnectedMs: 21), false, 2, 3, new(nameof(DropVerdict.Drop), SessionEndKind.CleanClose, 1, 5));
        yield return Row("connected exactly MaxBackoff is not healthy", new(SessionEndKind.CleanClose, ConnectedMs: 20), false, 1, 3, new(nameof(DropVerdict.Drop), SessionEndKind.CleanClose, 2, 10));
        yield return Row("MaxAttempts 1 ends the run at the first budgeted drop", new(SessionEndKind.Error, Unavailable), false, 0, 1, new(nameof(DropVerdict.Exhausted), SessionEndKind.Error, 1, error: Unavailable));
        yield return Row("backoff saturates at MaxBackoff", new(SessionEndKind.CleanClose), false, 5, 10, new(nameof(DropVerdict.Drop), SessionEndKind.CleanClose, 6, 20));
    }

    [TestCaseSource(nameof(ClassificationTable))]
    public void Session_end_classification(Ending ending, bool shutdown, int dropsBefore, int maxAttempts, Expected expected)
    {
        var budget = BudgetWithDrops(dropsBefore, maxAttempts, hasTokenProvider: false);
        var end = Classify(ending, hasTokenProvider: false);

        var decision = budget.OnSessionEnd(end, shutdown, interruptedReplay: false);

        Assert.That(end.Kind, Is.EqualTo(expected.ClassifiedAs), "classified as");
        Assert.That(decision.Verdict, Is.EqualTo(expected.Verdict), "verdict");
        Assert.That(decision.Drops, Is.EqualTo(expected.Drops), "drops after");
        Assert.That(budget.Drops, Is.EqualTo(expected.Drops), "the counter");
        Assert.That(decision.Redials, Is.EqualTo(expected.Verdict is DropVerdict.Drain or DropVerdict.Drop));
        Assert.That(decision.Delay, Is.EqualTo(TimeSpan.FromMilliseconds(expected.DelayMs)), "backoff");
        if (expected.ErrorKind is { } kind)
        {
            Assert.That(decision.Error?.Kind, Is.EqualTo(kind));
            Assert.That(decision.Error!.Message, Does.Contain($"Reconnect.MaxAttempts ({maxAttempts})"));
        }
        else
        {
            Assert.That(decision.Error, Is.SameAs(expected.Error), "the error the run fails with (or fails with if shutdown interrupts the backoff)");
        }
    }

    [Test]
    public void Shutdown_that_interrupts_a_replay_after_an_error_drop_fails_the_run_with_that_error()
    {
        var budget = BudgetWithDrops(0, 3, hasTokenProvider: false);
        budget.OnSessionEnd(Classify(new(SessionEndKind.Error, Unavailable), false), shutdownSignalled: false, interruptedReplay: false);
        Assert.That(budget.LastDropError, Is.SameAs(Unavailable));

        var interrupted = budget.OnSessionEnd(Classify(new(SessionEndKind.Shutdown), false), shutdownSignalled: true, interruptedReplay: true);
        Assert.That((interrupted.Verdict, interrupted.Error), Is.EqualTo((DropVerdict.Shutdown, Unavailable)));

        var finished = budget.OnSessionEnd(Classify(new(SessionEndKind.Shutdown), false), shutdownSignalled: true, interruptedReplay: false);
        Assert.That((finished.Verdict, finished.Error), Is.EqualTo((DropVerdict.Shutdown, (AionWorkerException?)null)), "a replay that finished ends the run OK");
    }

    [Test]
    public void A_drain_or_clean_close_forgets_the_last_error_drop()
    {
        var budget = BudgetWithDrops(0, 5, hasTokenProvider: false);
        budget.OnSessionEnd(Classify(new(SessionEndKind.Error, Unavailable), false), false, false);
        budget.OnSessionEnd(Classify(new(SessionEndKind.CleanClose, DrainSeen: true), false), false, false);
        Assert.That(budget.LastDropError, Is.Null, "after a drain");

        budget.OnSessionEnd(Classify(new(SessionEndKind.Error, Unavailable), false), false, false);
        budget.OnSessionEnd(Classify(new(SessionEndKind.CleanClose), false), false, false);
        Assert.That(budget.LastDropError, Is.Null, "after a clean close");
    }

    [TestCase(false, nameof(DropVerdict.NonRetryable), 0)]
    [TestCase(true, nameof(DropVerdict.Drop), 1)]
    public void Mid_stream_Unauthenticated_is_retryable_only_with_a_token_provider(bool hasTokenProvider, string verdictName, int drops)
    {
        var verdict = Enum.Parse<DropVerdict>(verdictName);
        var budget = BudgetWithDrops(0, 3, hasTokenProvider);

        var decision = budget.OnSessionEnd(Classify(new(SessionEndKind.Error, Unauthenticated), hasTokenProvider), false, false);

        Assert.That((decision.Verdict, decision.Drops), Is.EqualTo((verdict, drops)));
    }

    [Test]
    public void A_retryable_Unauthenticated_after_a_drain_latches_into_a_drain_with_a_token_provider()
    {
        Assert.That(Classify(new(SessionEndKind.Error, Unauthenticated, DrainSeen: true), hasTokenProvider: true).Kind, Is.EqualTo(SessionEndKind.Drain));
        Assert.That(Classify(new(SessionEndKind.Error, Unauthenticated, DrainSeen: true), hasTokenProvider: false).Kind, Is.EqualTo(SessionEndKind.Error));
    }

    private static SessionEnd Classify(Ending ending, bool hasTokenProvider) => SessionEndClassifier.Classify(
        ending.Kind, ending.Error, ending.DrainSeen, ending.LiveResult, TimeSpan.FromMilliseconds(ending.ConnectedMs), Registration, Max, hasTokenProvider);

    /// <summary>A budget whose counter stands at <paramref name="drops"/> (below <paramref name="maxAttempts"/>), reached by unhealthy error drops.</summary>
    private static DropBudget BudgetWithDrops(int drops, int maxAttempts, bool hasTokenProvider)
    {
        var budget = new DropBudget(maxAttempts, Initial, new Backoff(Initial, Max, 0), hasTokenProvider);
        for (var i = 0; i < drops; i++)
        {
            budget.OnSessionEnd(Classify(new(SessionEndKind.Error, Unavailable), hasTokenProvider), false, false);
        }

        Assert.That(budget.Drops, Is.EqualTo(drops));
        return budget;
    }
}
