using Aion.Worker.Codec;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Google.Protobuf;

namespace Aion.Worker.Tests.InMemory;

/// <summary>Typed helpers on what the in-memory engine returns: outputs, failures and progress without the codec by hand.</summary>
public sealed class TypedResultTests
{
    private sealed record Charge(int Amount);

    private sealed record Receipt(int Amount, string Reference);

    private sealed record Step(string Name, int Of);

    private static WorkerHarness Harness() => WorkerHarness.Create(builder => builder
        .AddActivity<Charge, Receipt>("charge", async (input, context) =>
        {
            await context.HeartbeatAsync(new Step("authorizing", 2));
            return input.Amount switch
            {
                < 0 => throw new TerminalActivityException("invalid amount", new { input.Amount }),
                0 => throw new RetryableActivityException("gateway busy"),
                _ => new Receipt(input.Amount, $"r-{input.Amount}"),
            };
        })
        .AddActivity<Payload, Payload>("raw", (input, _) => input));

    [Test]
    public async Task GetOutput_decodes_the_result_and_GetFailure_refuses_a_success()
    {
        await using var harness = Harness();
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.Dispatch("charge", new Charge(42)).Result.Within();

        Assert.That(result.GetOutput<Receipt>(), Is.EqualTo(new Receipt(42, "r-42")));
        Assert.That(result.GetOutput<Receipt>(new JsonPayloadCodec()), Is.EqualTo(new Receipt(42, "r-42")));
        var received = harness.Engine.Results.Single();
        Assert.That(received.Succeeded, Is.True);
        Assert.That(received.GetOutput<Receipt>(), Is.EqualTo(new Receipt(42, "r-42")));
        var error = Assert.Throws<InvalidOperationException>(() => result.GetFailure());
        Assert.That(error!.Message, Does.Contain("succeeded"));
        await harness.StopAsync();
    }

    [Test]
    public async Task GetFailure_classifies_terminal_and_retryable_failures_with_their_details()
    {
        await using var harness = Harness();
        await harness.StartAndRegisterAsync();

        var terminal = await harness.Engine.Dispatch("charge", new Charge(-5)).Result.Within();
        var retryable = await harness.Engine.Dispatch("charge", new Charge(0)).Result.Within();

        var failure = terminal.GetFailure();
        Assert.That(failure.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(failure.IsRetryable, Is.False);
        Assert.That(failure.Message, Is.EqualTo("invalid amount"));
        Assert.That(failure.GetDetails<Charge>(), Is.EqualTo(new Charge(-5)));
        Assert.That(failure.ToString(), Is.EqualTo("terminal: invalid amount"));
        Assert.That(retryable.GetFailure(), Is.EqualTo(new ActivityFailure(ActivityErrorKind.Retryable, "gateway busy", null)));
        Assert.That(() => retryable.GetFailure().GetDetails<Charge>(), Throws.InvalidOperationException.With.Message.Contains("no details"));
        Assert.That(harness.Engine.Results.Count(r => !r.Succeeded), Is.EqualTo(2));

        var noOutput = Assert.Throws<InvalidOperationException>(() => terminal.GetOutput<Receipt>());
        Assert.That(noOutput!.Message, Does.Contain("failed (terminal: invalid amount)"));
        await harness.StopAsync();
    }

    [Test]
    public async Task GetProgress_decodes_a_progress_heartbeat_and_refuses_a_liveness_beat()
    {
        await using var harness = Harness();
        await harness.StartAndRegisterAsync();

        await harness.Engine.Dispatch("charge", new Charge(7)).Result.Within();

        var progress = harness.Engine.Heartbeats.Single(h => h.HasProgress);
        Assert.That(progress.GetProgress<Step>(), Is.EqualTo(new Step("authorizing", 2)));
        var liveness = new ReceivedHeartbeat(progress.Session, new Heartbeat { WorkflowId = progress.Heartbeat.WorkflowId, ActivityId = progress.Heartbeat.ActivityId }, 0, default);
        Assert.That(() => liveness.GetProgress<Step>(), Throws.InvalidOperationException.With.Message.Contains("liveness"));
        await harness.StopAsync();
    }

    [Test]
    public async Task Payload_outputs_come_back_raw_and_undecodable_outputs_throw_the_codec_error()
    {
        await using var harness = Harness();
        await harness.StartAndRegisterAsync();
        var raw = new Payload { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8("[1,2]") };

        var result = await harness.Engine.Dispatch("raw", raw).Result.Within();

        Assert.That(result.GetOutput<Payload>(), Is.EqualTo(raw));
        Assert.That(() => result.GetOutput<Receipt>(), Throws.TypeOf<PayloadCodecException>());
        await harness.StopAsync();
    }
}
