using System.Text.Json;
using System.Text.Json.Serialization;
using Aion.Worker.Codec;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Activities;

public sealed record MetaCharge(string AccountId, decimal Amount);

public sealed record MetaReceipt(string AccountId, decimal ChargedAmount);

public sealed record MetaProgress(string CurrentStep);

public sealed record MetaRefusal(string AccountId, string Reason);

public sealed record MetaUnknown(int Value);

/// <summary>Snake case, so that output written with this metadata is told apart from the default codec's camelCase.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MetaCharge))]
[JsonSerializable(typeof(MetaReceipt))]
[JsonSerializable(typeof(MetaProgress))]
[JsonSerializable(typeof(MetaRefusal))]
internal sealed partial class MetaJson : JsonSerializerContext;

/// <summary>Registrations, heartbeats and dispatches with explicit JSON metadata (the trimming- and AOT-safe path).</summary>
public sealed class JsonMetadataTests
{
    /// <summary>A codec that fails every call: proves a typed registration never uses the worker's codec.</summary>
    private sealed class FailingCodec : IPayloadCodec
    {
        public string ContentType => JsonPayloadCodec.JsonContentType;

        public Payload Encode<T>(T value) => throw new PayloadCodecException("the worker's codec was used");

        public T Decode<T>(Payload payload) => throw new PayloadCodecException("the worker's codec was used");
    }

    [Test]
    public async Task A_typed_registration_reads_and_writes_with_its_metadata_whatever_the_codec()
    {
        await using var harness = WorkerHarness.Create(builder => builder
            .UseCodec(new FailingCodec())
            .AddActivity("billing.charge", async (MetaCharge charge, ActivityContext _) =>
            {
                await Task.Yield();
                return new MetaReceipt(charge.AccountId, charge.Amount);
            }, MetaJson.Default.MetaCharge, MetaJson.Default.MetaReceipt)
            .AddActivity("billing.sync", (MetaCharge charge, ActivityContext _) => new MetaReceipt(charge.AccountId, 0), MetaJson.Default.MetaCharge, MetaJson.Default.MetaReceipt));
        await harness.StartAndRegisterAsync();

        var charged = await harness.Engine.DispatchJson("billing.charge", """{"account_id":"acct-1","amount":12.5}""").Result.Within();
        var synced = await harness.Engine.Dispatch("billing.sync", new MetaCharge("acct-2", 1), MetaJson.Default.MetaCharge).Result.Within();

        Assert.That(charged.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result), charged.ToString());
        Assert.That(charged.Result.ContentType, Is.EqualTo("application/json"));
        Assert.That(charged.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"account_id":"acct-1","charged_amount":12.5}"""));
        Assert.That(synced.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"account_id":"acct-2","charged_amount":0}"""));
        await harness.StopAsync();
    }

    [Test]
    public async Task A_typed_registration_reports_undecodable_input_as_terminal_naming_the_type()
    {
        await using var harness = WorkerHarness.Create(builder => builder
            .AddActivity("billing.charge", (MetaCharge charge, ActivityContext _) => new MetaReceipt(charge.AccountId, 1), MetaJson.Default.MetaCharge, MetaJson.Default.MetaReceipt));
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("billing.charge", """{"amount":"lots"}""").Result.Within();

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Does.Contain("could not be decoded").And.Contain(nameof(MetaCharge)));
        await harness.StopAsync();
    }

    [Test]
    public async Task A_context_codec_writes_progress_and_failure_details_with_the_runtime_type()
    {
        await using var harness = WorkerHarness.Create(builder => builder
            .UseCodec(new JsonPayloadCodec(MetaJson.Default))
            .AddActivity<MetaCharge, MetaReceipt>("billing.charge", async (charge, context) =>
            {
                await context.HeartbeatAsync(new MetaProgress("authorizing"));
                throw new TerminalActivityException("refused", new MetaRefusal(charge.AccountId, "frozen"));
            }));
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("billing.charge", """{"account_id":"acct-9","amount":1}""").Result.Within();

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Is.EqualTo("refused"));
        Assert.That(result.Error.Details.Bytes.ToStringUtf8(), Is.EqualTo("""{"account_id":"acct-9","reason":"frozen"}"""));
        var progress = harness.Engine.Heartbeats.Single(h => h.HasProgress);
        Assert.That(progress.Heartbeat.Progress.Bytes.ToStringUtf8(), Is.EqualTo("""{"current_step":"authorizing"}"""));
        await harness.StopAsync();
    }

    [Test]
    public async Task A_typed_heartbeat_uses_its_metadata_and_a_payload_is_sent_as_it_is()
    {
        var raw = new Payload { ContentType = "application/json", Bytes = Google.Protobuf.ByteString.CopyFromUtf8("""{"raw":true}""") };
        await using var harness = WorkerHarness.Create(builder => builder
            .UseCodec(new FailingCodec())
            .AddActivity("billing.charge", async (MetaCharge charge, ActivityContext context) =>
            {
                await context.HeartbeatAsync(new MetaProgress("typed"), MetaJson.Default.MetaProgress);
                await context.HeartbeatAsync(raw);
                return new MetaReceipt(charge.AccountId, charge.Amount);
            }, MetaJson.Default.MetaCharge, MetaJson.Default.MetaReceipt));
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.Dispatch("billing.charge", new MetaCharge("a", 1), MetaJson.Default.MetaCharge).Result.Within();

        Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result), result.ToString());
        Assert.That(
            harness.Engine.Heartbeats.Where(h => h.HasProgress).Select(h => h.Heartbeat.Progress.Bytes.ToStringUtf8()),
            Is.EqualTo(new[] { """{"current_step":"typed"}""", """{"raw":true}""" }));
        await harness.StopAsync();
    }

    [Test]
    public async Task The_engine_reads_outputs_progress_and_details_with_json_metadata()
    {
        await using var harness = WorkerHarness.Create(builder => builder
            .UseCodec(new JsonPayloadCodec(MetaJson.Default))
            .AddActivity<MetaCharge, MetaReceipt>("billing.charge", async (charge, context) =>
            {
                await context.HeartbeatAsync(new MetaProgress("authorizing"));
                return charge.Amount > 0
                    ? new MetaReceipt(charge.AccountId, charge.Amount)
                    : throw new TerminalActivityException("refused", new MetaRefusal(charge.AccountId, "zero"));
            }));
        await harness.StartAndRegisterAsync();

        var ok = await harness.Engine.Dispatch("billing.charge", new MetaCharge("a", 3), MetaJson.Default.MetaCharge).Result.Within();
        var refused = await harness.Engine.Dispatch("billing.charge", new MetaCharge("b", 0), MetaJson.Default.MetaCharge).Result.Within();

        Assert.That(ok.GetOutput(MetaJson.Default.MetaReceipt), Is.EqualTo(new MetaReceipt("a", 3)));
        Assert.That(ok.GetOutput<MetaReceipt>(new JsonPayloadCodec(MetaJson.Default)), Is.EqualTo(new MetaReceipt("a", 3)));
        Assert.That(refused.GetFailure().GetDetails(MetaJson.Default.MetaRefusal), Is.EqualTo(new MetaRefusal("b", "zero")));
        Assert.That(harness.Engine.Heartbeats.First(h => h.HasProgress).GetProgress(MetaJson.Default.MetaProgress), Is.EqualTo(new MetaProgress("authorizing")));
        Assert.That(() => refused.GetOutput(MetaJson.Default.MetaReceipt), Throws.InvalidOperationException.With.Message.Contains("refused"));
        await harness.StopAsync();
    }

    [Test]
    public void Build_names_each_activity_whose_types_the_codec_context_does_not_describe()
    {
        var builder = AionWorker.CreateBuilder(WorkerHarness.DefaultOptions())
            .UseCodec(new JsonPayloadCodec(MetaJson.Default))
            .UseTransport(new InMemoryEngine().CreateTransport())
            .AddActivity<MetaCharge, MetaReceipt>("described", (charge, _) => new MetaReceipt(charge.AccountId, 1))
            .AddActivity<MetaUnknown, MetaReceipt>("unknown.input", (_, _) => new MetaReceipt("x", 1))
            .AddActivity<MetaCharge, MetaUnknown>("unknown.result", (_, _) => new MetaUnknown(1))
            .AddActivity<Payload, Payload>("raw", (input, _) => input)
            .AddActivity("typed", (MetaUnknown _, ActivityContext _) => new MetaReceipt("x", 1), JsonTypeInfoOf<MetaUnknown>(), MetaJson.Default.MetaReceipt);

        var error = Assert.Throws<InvalidOperationException>(() => builder.Build());

        Assert.That(error!.Message, Does.Contain("Activity 'unknown.input'").And.Contain($"input type {typeof(MetaUnknown)}").And.Contain("JsonSerializable"));
        Assert.That(error.Message, Does.Contain("Activity 'unknown.result'").And.Contain($"result type {typeof(MetaUnknown)}"));
        Assert.That(error.Message, Does.Not.Contain("'described'").And.Not.Contain("'raw'").And.Not.Contain("'typed'"));
    }

    [Test]
    public void The_hosting_and_core_builders_share_one_overload_set()
    {
        // Drift guard: neither builder declares AddActivity overloads of its own, apart from the
        // definition sink every shared overload ends in and the hosting builder's DI-created activities.
        var core = typeof(AionWorkerBuilder).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly)
            .Where(m => m.Name == nameof(AionWorkerBuilder.AddActivity))
            .Select(m => string.Join(",", m.GetParameters().Select(p => p.ParameterType.Name)))
            .ToArray();
        var hosting = typeof(Aion.Worker.Extensions.Hosting.AionWorkerServiceBuilder).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly)
            .Where(m => m.Name == nameof(AionWorkerBuilder.AddActivity))
            .Select(m => (m.GetGenericArguments().Length, Parameters: string.Join(",", m.GetParameters().Select(p => p.ParameterType.Name))))
            .ToArray();

        Assert.That(core, Is.EqualTo(new[] { nameof(ActivityDefinition) }));
        Assert.That(hosting.Where(m => m.Length != 3).Select(m => m.Parameters), Is.EqualTo(new[] { nameof(ActivityDefinition) }));
        Assert.That(typeof(AionWorkerBuilder).BaseType, Is.EqualTo(typeof(ActivityRegistrationBuilder<AionWorkerBuilder>)));
        Assert.That(
            typeof(Aion.Worker.Extensions.Hosting.AionWorkerServiceBuilder).BaseType,
            Is.EqualTo(typeof(ActivityRegistrationBuilder<Aion.Worker.Extensions.Hosting.AionWorkerServiceBuilder>)));
    }

    // Reflection-based metadata for a type outside the context, as a user could pass from any resolver.
    private static System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> JsonTypeInfoOf<T>() =>
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)JsonSerializerOptions.Web.GetTypeInfo(typeof(T));
}
