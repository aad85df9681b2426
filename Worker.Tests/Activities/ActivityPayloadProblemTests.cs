using System.Text;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Google.Protobuf;

namespace Aion.Worker.Tests.Activities;

public sealed class ActivityPayloadProblemTests
{
    private sealed record DoubleInput(int Value);

    private sealed record DoubleOutput(int Doubled);

    private sealed class Node
    {
        public Node? Next { get; set; }
    }

    private static WorkerHarness Create(Action<AionWorkerBuilder>? more = null, Action<AionWorkerOptions>? configure = null) =>
        WorkerHarness.Create(
            builder =>
            {
                builder.AddActivity<DoubleInput, DoubleOutput>("math.double", (input, _) => new DoubleOutput(input.Value * 2));
                more?.Invoke(builder);
            },
            configure);

    private static async Task AssertSessionStillServesAsync(WorkerHarness harness, EngineSessionRef first)
    {
        var follow = await harness.Engine.DispatchJson("math.double", """{"value":21}""").Result.Within();
        Assert.That(follow.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"doubled":42}"""));
        Assert.That(harness.Engine.Sessions, Has.Count.EqualTo(1), "no reconnect happened");
        Assert.That(first.Session.IsOpen, Is.True);
        Assert.That(first.Session.Results, Has.Count.EqualTo(first.ResultsBefore + 1), "the follow-up result arrived on the same session");
    }

    private sealed record EngineSessionRef(Aion.Worker.Transport.InMemory.EngineSession Session, int ResultsBefore);

    [TestCase("not json at all")]
    [TestCase("""{"value":"twenty-one"}""")]
    [TestCase("""[1,2,3]""")]
    [TestCase("")]
    public async Task Undecodable_input_is_terminal_naming_the_decode_problem(string json)
    {
        await using var harness = Create();
        var session = await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("math.double", json).Result.Within();

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Does.Contain("could not be decoded").And.Contain(nameof(DoubleInput)));
        await AssertSessionStillServesAsync(harness, new EngineSessionRef(session, 1));
        await harness.StopAsync();
    }

    [Test]
    public async Task Input_with_an_unreadable_content_type_is_terminal_naming_it()
    {
        await using var harness = Create();
        await harness.StartAndRegisterAsync();
        var input = new Payload { ContentType = "application/x-protobuf", Bytes = ByteString.CopyFrom("""{"value":21}""", Encoding.UTF8) };

        var result = await harness.Engine.Dispatch("math.double", input).Result.Within();

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Does.Contain("application/x-protobuf"));
        await harness.StopAsync();
    }

    [Test]
    public async Task Decode_failure_never_calls_the_handler()
    {
        var calls = 0;
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<DoubleInput, DoubleOutput>("math.double", (input, _) =>
        {
            Interlocked.Increment(ref calls);
            return new DoubleOutput(input.Value * 2);
        }));
        await harness.StartAndRegisterAsync();

        await harness.Engine.DispatchJson("math.double", "{").Result.Within();

        Assert.That(Volatile.Read(ref calls), Is.Zero);
        await harness.StopAsync();
    }

    [Test]
    public async Task Output_that_cannot_be_encoded_is_terminal_naming_the_encode_problem()
    {
        await using var harness = Create(builder => builder
            .AddActivity<DoubleInput, Node>("graph.cycle", (_, _) =>
            {
                var node = new Node();
                node.Next = node;
                return node;
            })
            .AddActivity<DoubleInput, double>("math.nan", (_, _) => double.NaN));
        var session = await harness.StartAndRegisterAsync();

        var cycle = await harness.Engine.DispatchJson("graph.cycle", """{"value":1}""").Result.Within();
        var nan = await harness.Engine.DispatchJson("math.nan", """{"value":1}""").Result.Within();

        Assert.That(cycle.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(cycle.Error.Message, Does.Contain("could not be encoded").And.Contain(nameof(Node)));
        Assert.That(nan.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(nan.Error.Message, Does.Contain("could not be encoded"));
        await AssertSessionStillServesAsync(harness, new EngineSessionRef(session, 2));
        await harness.StopAsync();
    }

    [Test]
    public async Task Null_raw_payload_result_is_terminal()
    {
        await using var harness = Create(builder => builder.AddActivity("raw.null", (Func<DoubleInput, ActivityContext, Payload>)((_, _) => null!)));
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("raw.null", """{"value":1}""").Result.Within();

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Does.Contain("null payload"));
        await harness.StopAsync();
    }

    [Test]
    public async Task Raw_result_with_a_content_type_the_engine_rejects_is_terminal()
    {
        await using var harness = Create(builder => builder.AddActivity<DoubleInput, Payload>("raw.text", (_, _) =>
            new Payload { ContentType = "text/plain", Bytes = ByteString.CopyFromUtf8("hi") }));
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("raw.text", """{"value":1}""").Result.Within();

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Does.Contain("text/plain"));
        await harness.StopAsync();
    }

    [Test]
    public async Task Outcome_too_large_to_send_is_terminal_too_large_and_the_session_stays_up()
    {
        await using var harness = Create(
            builder => builder
                .AddActivity<DoubleInput, string>("text.huge", (_, _) => new string('x', 4000))
                .AddActivity("text.huge-error", (Func<DoubleInput, ActivityContext, string>)((_, _) => throw new TerminalActivityException(new string('e', 4000))))
                .AddActivity("text.huge-details", (Func<DoubleInput, ActivityContext, string>)((_, _) => throw new RetryableActivityException("small", new string('d', 4000)))),
            options => options.MaxSendMessageSize = 2048);
        var session = await harness.StartAndRegisterAsync();

        foreach (var type in new[] { "text.huge", "text.huge-error", "text.huge-details" })
        {
            var result = await harness.Engine.DispatchJson(type, """{"value":1}""").Result.Within();

            Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal), type);
            Assert.That(result.Error.Message, Does.Contain("too large"), type);
            Assert.That(result.Error.Message, Does.Contain("2048"), type);
            Assert.That(result.CalculateSize(), Is.LessThanOrEqualTo(2048), type);
        }

        await AssertSessionStillServesAsync(harness, new EngineSessionRef(session, 3));
        await harness.StopAsync();
    }

    [Test]
    public async Task Outcome_just_under_the_limit_is_sent_as_is()
    {
        await using var harness = Create(
            builder => builder.AddActivity<DoubleInput, string>("text.big", (_, _) => new string('x', 1500)),
            options => options.MaxSendMessageSize = 2048);
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("text.big", """{"value":1}""").Result.Within();

        Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result));
        Assert.That(result.Result.Bytes.Length, Is.EqualTo(1502));
        await harness.StopAsync();
    }

    [Test]
    public async Task Unregistered_type_is_terminal_naming_the_type_and_the_session_stays_up()
    {
        await using var harness = Create();
        var session = await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("billing.refund", """{"value":1}""", new Aion.Worker.Transport.InMemory.DispatchOptions { RunId = "run-3" }).Result.Within();

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Does.Contain("'billing.refund'"));
        Assert.That(result.RunId?.Uuid, Is.EqualTo("run-3"));
        await AssertSessionStillServesAsync(harness, new EngineSessionRef(session, 1));
        await harness.StopAsync();
    }
}
