using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;

namespace Aion.Worker.Tests.Activities;

public sealed record NullRuleOrder(string Id);

public struct NullRulePoint
{
    public int X { get; set; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(NullRuleOrder))]
[JsonSerializable(typeof(string))]
internal sealed partial class NullRuleJson : JsonSerializerContext;

/// <summary>
/// CONFORMANCE #47: JSON <c>null</c> for an input type that does not accept null is TERMINAL, naming
/// the type, before the handler runs; a type that accepts null receives it. Decided at registration.
/// </summary>
public sealed class JsonNullInputTests
{
    /// <summary>Registers one activity of input type T whose handler counts its calls.</summary>
    public sealed class Registration(string name, Type type, Action<AionWorkerBuilder, Action<object?>> register)
    {
        public Type Type { get; } = type;

        public void Register(AionWorkerBuilder builder, Action<object?> received) => register(builder, received);

        public override string ToString() => name;
    }

    private static Registration Delegate<T>(string name) =>
        new(name, typeof(T), (builder, received) => builder.AddActivity<T, string>("t", (input, _) =>
        {
            received(input);
            return "ran";
        }));

    private static Registration OptedIn<T>(string name) =>
        new(name, typeof(T), (builder, received) => builder.AddActivity<T, string>("t", (input, _) =>
        {
            received(input);
            return "ran";
        }, new ActivityOptions { AcceptsNullInput = true }));

    private sealed class CountingActivity(Action<object?> received) : IActivity<NullRuleOrder, string>
    {
        public Task<string> ExecuteAsync(NullRuleOrder input, ActivityContext context)
        {
            received(input);
            return Task.FromResult("ran");
        }
    }

    public static IEnumerable<Registration> RejectingRegistrations()
    {
        yield return Delegate<NullRuleOrder>("record");
        yield return Delegate<string>("string");
        yield return Delegate<int>("int");
        yield return Delegate<NullRulePoint>("struct");
        yield return Delegate<int[]>("array");
        yield return Delegate<JsonObject>("JsonObject (not JsonNode itself)");
        yield return Delegate<List<string>>("list");
        yield return new Registration("typed JsonTypeInfo registration", typeof(NullRuleOrder), (builder, received) =>
            builder.AddActivity("t", (NullRuleOrder input, ActivityContext _) =>
            {
                received(input);
                return "ran";
            }, NullRuleJson.Default.NullRuleOrder, NullRuleJson.Default.String));
        yield return new Registration("factory activity (never created)", typeof(NullRuleOrder), (builder, received) =>
            builder.AddActivity<NullRuleOrder, string>("t", () =>
            {
                received("factory called");
                return new CountingActivity(received);
            }));
    }

    public static IEnumerable<Registration> AcceptingRegistrations()
    {
        yield return Delegate<int?>("Nullable<int>");
        yield return Delegate<object>("object");
        yield return Delegate<JsonNode>("JsonNode");
        yield return OptedIn<NullRuleOrder>("record registered with AcceptsNullInput");
        yield return OptedIn<string>("string registered with AcceptsNullInput");
    }

    [TestCaseSource(nameof(RejectingRegistrations))]
    public async Task Json_null_for_an_input_type_that_does_not_accept_null_is_terminal_before_the_handler_runs(Registration registration)
    {
        var calls = 0;
        await using var harness = WorkerHarness.Create(builder => registration.Register(builder, _ => Interlocked.Increment(ref calls)));
        await harness.StartAndRegisterAsync();

        var padded = await harness.Engine.DispatchJson("t", " \n null\t").Result.Within();
        var plain = await harness.Engine.DispatchJson("t", "null").Result.Within();

        foreach (var result in new[] { padded, plain })
        {
            Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Error));
            Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
            Assert.That(result.Error.Message, Does.Contain("JSON null").And.Contain(registration.Type.ToString()));
        }

        Assert.That(Volatile.Read(ref calls), Is.Zero, "the handler (or factory) never ran");
        Assert.That(harness.Engine.Sessions, Has.Count.EqualTo(1), "the session went on");
        await harness.StopAsync();
    }

    [TestCaseSource(nameof(AcceptingRegistrations))]
    public async Task A_type_that_accepts_null_receives_it(Registration registration)
    {
        var received = new List<object?>();
        await using var harness = WorkerHarness.Create(builder => registration.Register(builder, input =>
        {
            lock (received)
            {
                received.Add(input);
            }
        }));
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("t", "null").Result.Within();

        Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result), result.ToString());
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"ran\""));
        Assert.That(received, Is.EqualTo(new object?[] { null }), "the handler ran once, with null");
        await harness.StopAsync();
    }

    [Test]
    public async Task JsonElement_receives_a_null_element_and_Payload_the_raw_bytes()
    {
        JsonValueKind? kind = null;
        string? raw = null;
        await using var harness = WorkerHarness.Create(builder => builder
            .AddActivity<JsonElement, int>("element", (input, _) =>
            {
                kind = input.ValueKind;
                return 1;
            })
            .AddActivity<Payload, int>("raw", (input, _) =>
            {
                raw = input.Bytes.ToStringUtf8();
                return 2;
            }));
        await harness.StartAndRegisterAsync();

        var element = await harness.Engine.DispatchJson("element", "null").Result.Within();
        var payload = await harness.Engine.DispatchJson("raw", "null").Result.Within();

        Assert.That(element.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result));
        Assert.That(kind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(payload.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result));
        Assert.That(raw, Is.EqualTo("null"));
        await harness.StopAsync();
    }

    [Test]
    public void The_rule_is_decided_at_registration_and_visible_on_the_definition()
    {
        var definitions = new DefinitionRecorder()
            .AddActivity<NullRuleOrder, int>("record", (_, _) => 1)
            .AddActivity<int, int>("int", (_, _) => 1)
            .AddActivity<int?, int>("nullable", (_, _) => 1)
            .AddActivity<object, int>("object", (_, _) => 1)
            .AddActivity<JsonElement, int>("element", (_, _) => 1)
            .AddActivity<JsonNode, int>("node", (_, _) => 1)
            .AddActivity<Payload, int>("payload", (_, _) => 1)
            .AddActivity<string, int>("opted-in", (_, _) => 1, new ActivityOptions { AcceptsNullInput = true })
            .Definitions;

        Assert.That(
            definitions.ToDictionary(d => d.ActivityType, d => d.AcceptsNullInput),
            Is.EqualTo(new Dictionary<string, bool>
            {
                ["record"] = false,
                ["int"] = false,
                ["nullable"] = true,
                ["object"] = true,
                ["element"] = true,
                ["node"] = true,
                ["payload"] = true,
                ["opted-in"] = true,
            }));
    }

    /// <summary>A builder of one's own on the shared overload set: it only collects definitions.</summary>
    private sealed class DefinitionRecorder : ActivityRegistrationBuilder<DefinitionRecorder>
    {
        public List<ActivityDefinition> Definitions { get; } = [];

        public override DefinitionRecorder AddActivity(ActivityDefinition definition)
        {
            Definitions.Add(definition);
            return this;
        }
    }
}
