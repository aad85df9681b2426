using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.Grpc;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;

namespace Aion.Worker.Tests.Grpc;

/// <summary>CONFORMANCE #27 and #28 over the real gRPC transport.</summary>
public sealed class GrpcRegistrationTests
{
    private static void Echo(AionWorkerBuilder builder) => builder.AddActivity<Payload, Payload>("test.echo", (input, _) => input);

    [Test]
    public async Task Registration_completes_without_header_deadlock_and_the_worker_exposes_the_ack()
    {
        await using var harness = await GrpcHarness.CreateAsync(
            builder => builder
                .AddActivity<Payload, Payload>("zeta.last", (input, _) => input)
                .AddActivity<Payload, Payload>("alpha.first", (input, _) => input),
            options =>
            {
                options.Namespaces = ["billing", "payments"];
                options.Subject = "svc-billing";
                options.TaskQueue = "invoices";
                options.Node = "node-a";
                options.BearerToken = "tok-123";
            });
        harness.Engine.Script(ConnectionScript.Accept(workerId: 7, heartbeatWindow: TimeSpan.FromMilliseconds(30_000), @namespace: "billing,payments"));
        var registered = new TaskCompletionSource<WorkerRegistration>(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Worker.SessionStarted += (_, e) => registered.TrySetResult(e.Registration);

        var session = await harness.StartAndRegisterAsync();
        var registration = await registered.Task.Within();

        Assert.That(registration.WorkerId, Is.EqualTo(7));
        Assert.That(registration.Namespace, Is.EqualTo("billing,payments"));
        Assert.That(registration.HeartbeatWindow, Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(harness.Worker.CurrentRegistration, Is.EqualTo(registration));

        var frame = session.Registration!;
        Assert.That(frame.Namespaces, Is.EqualTo(new[] { "billing", "payments" }));
        Assert.That(frame.TaskQueue, Is.EqualTo("invoices"));
        Assert.That(frame.Node, Is.EqualTo("node-a"));
        Assert.That(frame.ActivityTypes, Is.EqualTo(new[] { "alpha.first", "zeta.last" }));

        Assert.That(session.Metadata.Namespaces, Is.EqualTo(new[] { "billing", "payments" }));
        Assert.That(session.Metadata.Subject, Is.EqualTo("svc-billing"));
        Assert.That(session.Metadata.BearerToken, Is.EqualTo("tok-123"));

        var headers = harness.Host.RequestHeaders.Single();
        Assert.That(headers.GetValue("x-aion-namespaces"), Is.EqualTo("billing,payments"));
        Assert.That(headers.GetValue("x-aion-subject"), Is.EqualTo("svc-billing"));
        Assert.That(headers.GetValue("authorization"), Is.EqualTo("Bearer tok-123"));

        await harness.StopAsync();
    }

    [Test]
    public async Task Server_sees_default_subject_and_namespace_headers_and_no_authorization_without_a_token()
    {
        await using var harness = await GrpcHarness.CreateAsync(Echo);

        await harness.StartAndRegisterAsync();

        var headers = harness.Host.RequestHeaders.Single();
        Assert.That(headers.GetValue("x-aion-namespaces"), Is.EqualTo("default"));
        Assert.That(headers.GetValue("x-aion-subject"), Is.EqualTo("worker"));
        Assert.That(headers.Get("authorization"), Is.Null);
        await harness.StopAsync();
    }

    [TestCase("/relative/engine", UriKind.Relative)]
    [TestCase("ftp://127.0.0.1:50051", UriKind.Absolute)]
    [TestCase("unix:/tmp/aion.sock", UriKind.Absolute)]
    public void An_endpoint_that_is_not_an_absolute_http_uri_fails_before_the_worker_is_built(string endpoint, UriKind kind)
    {
        var builder = AionWorker.CreateBuilder(GrpcHarness.DefaultOptions());
        Echo(builder);

        var error = Assert.Throws<ArgumentException>(() => builder.UseGrpc(new Uri(endpoint, kind)));

        Assert.That(error!.Message, Does.Contain("Endpoint").And.Contain(endpoint));
    }

    [Test]
    public void Invalid_transport_options_fail_with_every_problem_named()
    {
        var builder = AionWorker.CreateBuilder(GrpcHarness.DefaultOptions());

        var error = Assert.Throws<ArgumentException>(() => builder.UseGrpc(new Uri("http://127.0.0.1:50051"), options =>
        {
            options.MaxReceiveMessageSize = 0;
            options.KeepAlivePingDelay = TimeSpan.FromMilliseconds(10);
        }));

        Assert.That(error!.Message, Does.Contain(nameof(GrpcTransportOptions.MaxReceiveMessageSize)).And.Contain(nameof(GrpcTransportOptions.KeepAlivePingDelay)));
    }

    [TestCase(false, TestName = "An_engine_that_never_acks_and_withholds_headers_fails_the_try_with_a_retryable_register_timeout")]
    [TestCase(true, TestName = "An_engine_that_sends_headers_but_never_acks_fails_the_try_with_a_retryable_register_timeout")]
    public async Task Never_acked_registration_times_out(bool headersFirst)
    {
        var time = new TestTime();
        var registerTimeout = TimeSpan.FromMilliseconds(300);
        await using var harness = await GrpcHarness.CreateAsync(Echo, options =>
        {
            options.RegisterTimeout = registerTimeout;
            options.Reconnect.MaxAttempts = 1;
        }, time: time);
        harness.Host.SendHeadersOnStart = headersFirst;
        harness.Engine.Script(ConnectionScript.NeverAck());

        harness.Start();
        await harness.Engine.WaitUntilAsync(() => harness.Engine.Sessions.Any(s => s.Registration is not null)).Within();
        await time.WaitForTimerAsync(registerTimeout);
        Assert.That(harness.Run!.IsCompleted, Is.False, "the try must wait for the ack until the register timeout");
        time.Advance(registerTimeout);
        var error = await harness.RunFailureAsync();

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.RegisterTimeout));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(1));
    }

    [Test]
    public async Task A_first_frame_that_is_a_task_is_a_retryable_protocol_error()
    {
        await using var harness = await GrpcHarness.CreateAsync(Echo, options => options.Reconnect.MaxAttempts = 1);
        harness.Engine.Script(ConnectionScript.SendFirst(new ServerToWorker
        {
            Task = new ActivityTask
            {
                WorkflowId = new WorkflowId { Uuid = Guid.NewGuid().ToString() },
                ActivityId = new ActivityId { SequencePosition = 1 },
                ActivityType = "test.echo",
                Input = new Payload { ContentType = "application/json", Bytes = Google.Protobuf.ByteString.CopyFromUtf8("1") },
                Attempt = 1,
            },
        }));

        harness.Start();
        var error = await harness.RunFailureAsync();

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Protocol));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(error.Message, Does.Contain("not RegisterAck"));
    }

    [TestCase(false, TestName = "PermissionDenied_as_a_trailers_only_response_is_non_retryable_with_code_and_message_unchanged")]
    [TestCase(true, TestName = "PermissionDenied_after_response_headers_is_non_retryable_with_code_and_message_unchanged")]
    public async Task Refused_registration_is_final(bool afterHeaders)
    {
        await using var harness = await GrpcHarness.CreateAsync(Echo, options => options.Namespaces = ["secret"]);
        harness.Engine.Script(ConnectionScript.Refuse(new Status(StatusCode.PermissionDenied, "namespace 'secret' not granted"), afterHeaders));

        harness.Start();
        var error = await harness.RunFailureAsync();

        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(error.StatusDetail, Is.EqualTo("namespace 'secret' not granted"));
        Assert.That(error.IsRetryable, Is.False);
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(1));
        Assert.That(harness.Engine.Sessions.Single().Registration, Is.Not.Null, "the engine read the registration before refusing");
    }
}
