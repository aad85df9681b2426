using Aion.Worker.Transport;
using Aion.Worker.Transport.Grpc;
using Aion.Worker.Transport.InMemory;
using Aion.Worker.Transport.Streams;

namespace Aion.Worker.Tests.Options;

/// <summary>
/// The four options types validate alike: <c>Validate()</c> lists every problem as
/// <c>Name: rule (was X).</c>, and the API that consumes the options throws one exception whose
/// message counts the problems and lists each of those lines.
/// </summary>
public sealed class AllOptionsTypesValidationTests
{
    private static readonly WorkerSessionMetadata Metadata = new(["default"], "worker", null);

    private static string Listed(string problem) => Environment.NewLine + "  - " + problem;

    [Test]
    public void Worker_options_list_every_problem_with_the_value_it_had()
    {
        var options = new AionWorkerOptions
        {
            TaskQueue = "q",
            Identity = "w",
            MaxConcurrency = 0,
            MaxQueuedTasks = -2,
            MaxSendMessageSize = 1000,
            Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromSeconds(1), MaxAttempts = 0 },
        };

        Assert.That(options.Validate(), Is.EqualTo(new[]
        {
            "MaxConcurrency: must be at least 1 (was 0).",
            "MaxQueuedTasks: must be at least 1 (was -2).",
            "MaxSendMessageSize: must be at least 1024 bytes (was 1000).",
            "Reconnect.MaxAttempts: must be at least 1 (was 0).",
        }));
    }

    [Test]
    public void Worker_options_validate_the_reliability_bounds()
    {
        var options = new AionWorkerOptions
        {
            TaskQueue = "q",
            Identity = "w",
            MaxConcurrency = 1,
            MaxUnackedResultBytes = 0,
            ShutdownAckTimeout = TimeSpan.Zero,
            MaxTaskInputSize = -1,
            Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromSeconds(1), MaxAttempts = 1 },
        };

        Assert.That(options.Validate(), Is.EqualTo(new[]
        {
            "MaxUnackedResultBytes: must be at least 1 byte (was 0).",
            "ShutdownAckTimeout: must be greater than zero (was 00:00:00).",
            "MaxTaskInputSize: must be at least 1 byte (was -1).",
        }));

        var defaults = new AionWorkerOptions();
        Assert.That(defaults.MaxUnackedResultBytes, Is.EqualTo(256L * 1024 * 1024));
        Assert.That(defaults.ShutdownAckTimeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That(defaults.MaxTaskInputSize, Is.EqualTo(4 * 1024 * 1024));
        Assert.That(new GrpcTransportOptions().MaxReceiveMessageSize, Is.EqualTo(64 * 1024 * 1024), "the gRPC wire cap");
        Assert.That(new GrpcTransportOptions().MaxSendMessageSize, Is.EqualTo(4 * 1024 * 1024));
        Assert.That(new StreamTransportOptions().Frames.MaxReceiveFrameSize, Is.EqualTo(64 * 1024 * 1024), "the streams wire cap");
        Assert.That(new StreamTransportOptions().Frames.MaxSendFrameSize, Is.EqualTo(4 * 1024 * 1024));
    }

    [Test]
    public void Worker_build_reports_exactly_the_problems_validate_lists()
    {
        var options = new AionWorkerOptions
        {
            TaskQueue = "q",
            Identity = "w",
            MaxConcurrency = 0,
            Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.FromSeconds(1), MaxAttempts = 1 },
        };
        var builder = AionWorker.CreateBuilder(options).AddActivity<int, int>("noop", (input, _) => input);

        var error = Assert.Throws<InvalidOperationException>(() => builder.Build());

        Assert.That(error!.Message, Is.EqualTo(
            "The Aion worker cannot be built (2 problems):"
            + Listed("MaxConcurrency: must be at least 1 (was 0).")
            + Listed("Reconnect.InitialBackoff: must be greater than zero (was 00:00:00).")));
    }

    [Test]
    public void Grpc_transport_options_list_every_problem_with_the_value_it_had()
    {
        var options = new GrpcTransportOptions
        {
            MaxSendMessageSize = 0,
            MaxReceiveMessageSize = -1,
            KeepAlivePingDelay = TimeSpan.FromMilliseconds(10),
            TrustedCertificates = [],
        };

        Assert.That(options.Validate(), Is.EqualTo(new[]
        {
            "MaxSendMessageSize: must be at least 1 byte (was 0).",
            "MaxReceiveMessageSize: must be at least 1 byte (was -1).",
            "TrustedCertificates: must hold at least one certificate, or be null to use the platform's trust store (was empty).",
            "KeepAlivePingDelay: must be between 1 s and 2147483647 ms, or Timeout.InfiniteTimeSpan (was 00:00:00.0100000).",
        }));
    }

    [Test]
    public void Grpc_transport_reports_the_endpoint_and_every_option_problem_in_one_exception()
    {
        var options = new GrpcTransportOptions { MaxReceiveMessageSize = 0, KeepAlivePingTimeout = TimeSpan.Zero };

        var error = Assert.Throws<ArgumentException>(() => new GrpcWorkerTransport(new Uri("ftp://engine:50051"), options));

        Assert.That(error!.ParamName, Is.EqualTo("endpoint"));
        Assert.That(error.Message, Does.StartWith(
            "The gRPC transport cannot be created (3 problems):"
            + Listed("Endpoint: must be an absolute http:// or https:// URI (was 'ftp://engine:50051').")
            + Listed("MaxReceiveMessageSize: must be at least 1 byte (was 0).")
            + Listed("KeepAlivePingTimeout: must be between 1 s and 2147483647 ms, or Timeout.InfiniteTimeSpan (was 00:00:00).")));
    }

    [Test]
    public void Stream_transport_options_list_every_frame_limit_problem_under_frames()
    {
        var options = new StreamTransportOptions { Frames = { MaxReceiveFrameSize = 0, SendQueueCapacity = 0, BufferSize = 100 } };

        Assert.That(options.Validate(), Is.EqualTo(new[]
        {
            "Frames.MaxReceiveFrameSize: must be at least 1 byte (was 0).",
            "Frames.SendQueueCapacity: must be at least 1 (was 0).",
            "Frames.BufferSize: must be at least 512 bytes (was 100).",
        }));
    }

    [Test]
    public void Stream_transport_and_its_sessions_report_every_problem_in_one_exception()
    {
        var options = new StreamTransportOptions { Frames = { MaxSendFrameSize = -5, BufferSize = 0 } };
        var problems = Listed("Frames.MaxSendFrameSize: must be at least 1 byte (was -5).") + Listed("Frames.BufferSize: must be at least 512 bytes (was 0).");

        var create = Assert.Throws<ArgumentException>(() => new StreamTransport(_ => ValueTask.FromResult<Stream>(new MemoryStream()), options));
        var open = Assert.Throws<ArgumentException>(() => StreamTransport.OpenSession(new MemoryStream(), Metadata, options));

        Assert.That(create!.Message, Does.StartWith("The stream transport cannot be created (2 problems):" + problems));
        Assert.That(open!.Message, Does.StartWith("The stream session cannot be opened (2 problems):" + problems));
        Assert.That(create.ParamName, Is.EqualTo("options"));
    }

    [Test]
    public void Stream_engine_options_list_every_problem_with_the_value_it_had()
    {
        var options = new StreamEngineServerOptions
        {
            Frames = { MaxSendFrameSize = 0 },
            HelloTimeout = TimeSpan.Zero,
            LingerTimeout = TimeSpan.FromSeconds(-1),
            TimeProvider = null!,
        };

        Assert.That(options.Validate(), Is.EqualTo(new[]
        {
            "Frames.MaxSendFrameSize: must be at least 1 byte (was 0).",
            "HelloTimeout: must be greater than zero (was 00:00:00).",
            "LingerTimeout: must not be negative (was -00:00:01).",
            "TimeProvider: is required.",
        }));
    }

    [Test]
    public async Task Stream_engine_server_and_connection_report_every_problem_in_one_exception_before_binding()
    {
        var engine = new InMemoryEngine();
        var options = new StreamEngineServerOptions { Frames = { MaxReceiveFrameSize = 0 }, HelloTimeout = TimeSpan.FromMilliseconds(4_294_967_295d) };
        var problems = Listed("Frames.MaxReceiveFrameSize: must be at least 1 byte (was 0).") + Listed("HelloTimeout: must be at most 4294967294 ms (was 4294967295 ms).");
        var path = Path.Combine(Path.GetTempPath(), $"aion-options-{Guid.NewGuid():N}.sock");

        var tcp = Assert.Throws<ArgumentException>(() => StreamEngineServer.ListenTcp(engine, 0, options));
        var unix = Assert.Throws<ArgumentException>(() => StreamEngineServer.ListenUnixSocket(engine, path, options));
        var serve = Assert.ThrowsAsync<ArgumentException>(() => StreamEngineConnection.ServeAsync(engine, new MemoryStream(), options));

        Assert.That(tcp!.Message, Does.StartWith("The stream engine server cannot be started (2 problems):" + problems));
        Assert.That(unix!.Message, Does.StartWith("The stream engine server cannot be started (2 problems):" + problems));
        Assert.That(File.Exists(path), Is.False, "nothing was bound");
        Assert.That((await serve)!.Message, Does.StartWith("The stream engine connection cannot be served (2 problems):" + problems));
    }

    [Test]
    public void Missing_nested_options_are_named_once()
    {
        var transport = new StreamTransportOptions { Frames = null! };
        var engine = new StreamEngineServerOptions { Frames = null!, LoggerFactory = null! };
        var worker = new AionWorkerOptions { TaskQueue = "q", Identity = "w", MaxConcurrency = 1, Reconnect = null! };

        Assert.That(transport.Validate(), Is.EqualTo(new[] { "Frames: is required." }));
        Assert.That(engine.Validate(), Is.EqualTo(new[] { "Frames: is required.", "LoggerFactory: is required." }));
        Assert.That(worker.Validate(), Is.EqualTo(new[] { "Reconnect: is required." }));
    }

    [Test]
    public void Default_transport_options_are_valid()
    {
        Assert.That(new GrpcTransportOptions().Validate(), Is.Empty);
        Assert.That(new StreamTransportOptions().Validate(), Is.Empty);
        Assert.That(new StreamEngineServerOptions().Validate(), Is.Empty);
    }

    [Test]
    [SetCulture("de-DE")]
    public void Values_are_formatted_the_same_in_every_culture()
    {
        var options = new AionWorkerOptions
        {
            TaskQueue = "q",
            Identity = "w",
            MaxConcurrency = 1,
            Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromSeconds(1), MaxAttempts = 1, Jitter = 1.5 },
            SendTimeout = TimeSpan.FromMilliseconds(4_294_967_294.5),
        };

        Assert.That(options.Validate(), Is.EqualTo(new[]
        {
            "Reconnect.Jitter: must be between 0 and 1 (was 1.5).",
            "SendTimeout: must be at most 4294967294 ms (was 4294967294.5 ms).",
        }));
    }

    [Test]
    public void Stream_options_copies_own_their_frame_limits()
    {
        var transport = new StreamTransportOptions();
        var engine = new StreamEngineServerOptions();

        var transportCopy = transport.Clone();
        var engineCopy = engine.Clone();
        transport.Frames.MaxReceiveFrameSize = 1;
        engine.Frames.MaxReceiveFrameSize = 1;

        Assert.That(transportCopy.Frames, Is.Not.SameAs(transport.Frames));
        Assert.That(transportCopy.Frames.MaxReceiveFrameSize, Is.EqualTo(StreamFraming.DefaultMaxReceiveFrameSize));
        Assert.That(engineCopy.Frames.MaxReceiveFrameSize, Is.EqualTo(StreamFraming.DefaultMaxReceiveFrameSize));
    }

    [Test]
    public async Task A_transport_keeps_the_frame_limits_it_was_created_with()
    {
        var options = new StreamTransportOptions { Frames = { MaxSendFrameSize = 100 } };
        var transport = new StreamTransport(_ => ValueTask.FromResult<Stream>(new MemoryStream()), options);
        options.Frames.MaxSendFrameSize = StreamFraming.DefaultMaxFrameSize;

        await using var session = await transport.ConnectAsync(Metadata, CancellationToken.None);
        var frame = new Protocol.WorkerToServer { Register = new Protocol.RegisterWorker { TaskQueue = new string('q', 200) } };

        var error = Assert.ThrowsAsync<AionWorkerException>(async () => await session.SendAsync(frame, CancellationToken.None));

        Assert.That((await error)!.Message, Does.Contain("max send frame size of 100 bytes"));
    }
}
