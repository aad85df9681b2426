using Aion.Worker.Internal.Pipeline;
using Grpc.Core;

namespace Aion.Worker.Tests.Errors;

public sealed class AionWorkerExceptionTests
{
    private const string Detail = "namespace 'billing' not granted — détail ✓";

    private static IEnumerable<StatusCode> AllStatusCodes() => Enum.GetValues<StatusCode>();

    private static bool ExpectedRetryable(StatusCode code) =>
        code is not (StatusCode.PermissionDenied or StatusCode.Unauthenticated);

    [TestCaseSource(nameof(AllStatusCodes))]
    public void Status_error_keeps_code_and_message_and_is_retryable_unless_denied(StatusCode code)
    {
        var error = AionWorkerException.FromStatus(new Status(code, Detail));

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Status));
        Assert.That(error.StatusCode, Is.EqualTo(code));
        Assert.That(error.StatusDetail, Is.EqualTo(Detail));
        Assert.That(error.IsRetryable, Is.EqualTo(ExpectedRetryable(code)));
    }

    [TestCaseSource(nameof(AllStatusCodes))]
    public void Rpc_exception_from_a_transport_maps_to_the_same_status_unchanged(StatusCode code)
    {
        var rpc = new RpcException(new Status(code, Detail));

        var error = WorkerRuntime.ToWorkerException(rpc);

        Assert.That(error.StatusCode, Is.EqualTo(code));
        Assert.That(error.StatusDetail, Is.EqualTo(Detail));
        Assert.That(error.IsRetryable, Is.EqualTo(ExpectedRetryable(code)));
        Assert.That(error.InnerException, Is.SameAs(rpc));
    }

    [Test]
    public void Only_permission_denied_and_unauthenticated_are_non_retryable_statuses()
    {
        var nonRetryable = Enum.GetValues<StatusCode>()
            .Where(code => !AionWorkerException.FromStatus(new Status(code, "x")).IsRetryable)
            .ToArray();

        Assert.That(nonRetryable, Is.EquivalentTo(new[] { StatusCode.PermissionDenied, StatusCode.Unauthenticated }));
    }

    [TestCase(AionErrorKind.Transport, true)]
    [TestCase(AionErrorKind.RegisterTimeout, true)]
    [TestCase(AionErrorKind.SendTimeout, true)]
    [TestCase(AionErrorKind.Protocol, true)]
    [TestCase(AionErrorKind.UnackedResultsStalled, true)]
    [TestCase(AionErrorKind.ServerClosedRepeatedly, true)]
    [TestCase(AionErrorKind.InvalidToken, false)]
    [TestCase(AionErrorKind.Connection, true)]
    [TestCase(AionErrorKind.Certificate, false)]
    [TestCase(AionErrorKind.TokenProvider, true)]
    public void Errors_without_a_status_are_retryable_except_an_invalid_token_and_a_rejected_certificate(AionErrorKind kind, bool retryable)
    {
        var error = new AionWorkerException(kind, "something failed");

        Assert.That(error.IsRetryable, Is.EqualTo(retryable));
        Assert.That(error.StatusCode, Is.Null);
        Assert.That(error.StatusDetail, Is.Null);
    }

    [Test]
    public void A_certificate_failure_is_non_retryable_whatever_status_the_client_gave_it()
    {
        var error = new AionWorkerException(AionErrorKind.Certificate, "untrusted", StatusCode.Internal, "Error starting gRPC call.");

        Assert.That(error.IsRetryable, Is.False);
        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.Internal));
    }

    [Test]
    public void Every_kind_but_a_certificate_failure_and_an_invalid_token_is_retryable_without_a_denying_status()
    {
        var nonRetryable = Enum.GetValues<AionErrorKind>()
            .Where(kind => !new AionWorkerException(kind, "x").IsRetryable)
            .ToArray();

        Assert.That(nonRetryable, Is.EquivalentTo(new[] { AionErrorKind.InvalidToken, AionErrorKind.Certificate }));
    }

    [Test]
    public void Any_other_transport_failure_is_a_retryable_transport_error()
    {
        var failure = new IOException("connection reset");

        var error = WorkerRuntime.ToWorkerException(failure);

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Transport));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(error.StatusCode, Is.Null);
        Assert.That(error.Message, Does.Contain("connection reset"));
        Assert.That(error.InnerException, Is.SameAs(failure));
    }

    [Test]
    public void A_worker_exception_from_a_transport_passes_through_unchanged()
    {
        var original = new AionWorkerException(AionErrorKind.Status, "denied", StatusCode.PermissionDenied, "no");

        Assert.That(WorkerRuntime.ToWorkerException(original), Is.SameAs(original));
    }

    [Test]
    public void Activity_failures_say_whether_the_engine_may_retry()
    {
        var retryable = new RetryableActivityException("try again", new { code = 1 });
        var terminal = new TerminalActivityException("give up");

        Assert.That(retryable.IsRetryable, Is.True);
        Assert.That(retryable.WireKind, Is.EqualTo(Protocol.ActivityErrorKind.Retryable));
        Assert.That(retryable.Details, Is.Not.Null);
        Assert.That(terminal.IsRetryable, Is.False);
        Assert.That(terminal.WireKind, Is.EqualTo(Protocol.ActivityErrorKind.Terminal));
        Assert.That(terminal.Details, Is.Null);
    }
}
