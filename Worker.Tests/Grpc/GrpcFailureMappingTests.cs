using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Transport.Grpc.Internal;
using Google.Protobuf;
using Grpc.Core;

namespace Aion.Worker.Tests.Grpc;

/// <summary>
/// How the gRPC transport says who failed, on the exception shapes Grpc.Net.Client produces (the
/// end-to-end cases run in <see cref="GrpcErrorReportingTests"/> and <see cref="GrpcTlsTests"/>;
/// an unknown host is checked here because DNS is not under the test's control).
/// </summary>
public sealed class GrpcFailureMappingTests
{
    private static readonly Uri Endpoint = new("http://engine.example:50051");

    private static RpcException Local(StatusCode code, string detail, Exception cause) => new(new Status(code, detail, cause));

    [Test]
    public void An_unknown_host_is_a_retryable_connection_error_naming_the_endpoint()
    {
        var error = GrpcFailures.Map(Local(StatusCode.Unavailable, "Error connecting to subchannel.", new SocketException((int)SocketError.HostNotFound)), Endpoint, null, answered: false);

        var mapped = (AionWorkerException)error;
        Assert.That(mapped.Kind, Is.EqualTo(AionErrorKind.Connection));
        Assert.That(mapped.IsRetryable, Is.True);
        Assert.That(mapped.Message, Does.StartWith($"Could not connect to the engine at {Endpoint}").And.Contain("HostNotFound"));
        Assert.That(mapped.StatusCode, Is.EqualTo(StatusCode.Unavailable), "the client's status is kept for diagnostics");
        Assert.That(mapped.InnerException, Is.InstanceOf<SocketException>());
    }

    [Test]
    public void A_connection_that_breaks_after_the_engine_answered_is_reported_lost()
    {
        var error = GrpcFailures.Map(Local(StatusCode.Unavailable, "Error reading next message.", new IOException("The response ended prematurely.")), Endpoint, null, answered: true);

        Assert.That(((AionWorkerException)error).Message, Does.StartWith($"The connection to the engine at {Endpoint} was lost: The response ended prematurely."));
    }

    [Test]
    public void A_status_the_engine_sent_stays_the_engines_status()
    {
        var engine = new RpcException(new Status(StatusCode.Unavailable, "engine restarting"));

        Assert.That(GrpcFailures.Map(engine, Endpoint, null, answered: true), Is.SameAs(engine));
        var reported = WorkerRuntime.ToWorkerException(engine);
        Assert.That(reported.Kind, Is.EqualTo(AionErrorKind.Status));
        Assert.That(reported.Message, Does.StartWith("The engine ended the call with status Unavailable"));
    }

    [Test]
    public void A_clean_end_and_a_cancellation_pass_through()
    {
        var ok = new RpcException(Status.DefaultSuccess);
        var cancelled = new OperationCanceledException();

        Assert.That(GrpcFailures.Map(ok, Endpoint, null, answered: false), Is.SameAs(ok));
        Assert.That(GrpcFailures.Map(cancelled, Endpoint, null, answered: false), Is.SameAs(cancelled));
    }

    [Test]
    public void A_tls_failure_without_a_certificate_rejection_is_a_retryable_connection_error()
    {
        var handshake = new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established, see inner exception.", new AuthenticationException("Authentication failed because the remote party sent a TLS alert: 'ProtocolVersion'."));

        var error = (AionWorkerException)GrpcFailures.Map(Local(StatusCode.Internal, "Error starting gRPC call.", handshake), new Uri("https://engine.example"), new ServerCertificateCheck(null, null, System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck), answered: false);

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Connection));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(error.Message, Does.StartWith("The TLS handshake with the engine at https://engine.example/ failed").And.Contain("ProtocolVersion"));
    }

    [Test]
    public void A_frame_that_does_not_parse_is_a_local_decode_error()
    {
        var decode = Assert.Throws<InvalidProtocolBufferException>(() => Protocol.ServerToWorker.Parser.ParseFrom([0x0A, 0xFF, 0xFF]))!;

        var error = (AionWorkerException)GrpcFailures.Map(Local(StatusCode.Unavailable, "Error reading next message.", decode), Endpoint, null, answered: true);

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Protocol));
        Assert.That(error.Message, Does.StartWith("The worker could not decode a frame the engine").And.Contain(decode.Message));
    }

    [Test]
    public void Any_other_local_failure_names_the_client_not_the_engine()
    {
        var error = (AionWorkerException)GrpcFailures.Map(Local(StatusCode.Internal, "Error starting gRPC call.", new InvalidOperationException("odd")), Endpoint, null, answered: false);

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Transport));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(error.Message, Does.StartWith("The gRPC client failed the call to the engine").And.Not.Contain("The engine ended the call"));
    }
}
