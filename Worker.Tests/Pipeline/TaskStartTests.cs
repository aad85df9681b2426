using System.Collections.Concurrent;
using System.Diagnostics;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Pipeline;

/// <summary>
/// Where a task starts (issue 13): the read pump starts the task it queued when a slot is free, a
/// finishing activity hands its slot to the next queued task, and a handler registered with
/// <see cref="ActivityOptions.RunInline"/> runs where its task starts. Each test reads the handler's
/// own call stack, which names the frames that started it: deterministic, no timing.
/// </summary>
public sealed class TaskStartTests
{
    private const string Recorded = "test.recorded";

    // The frame of an activity run as its own thread-pool work item.
    private const string OwnWorkItem = "ActivityExecution.System.Threading.IThreadPoolWorkItem.Execute";
    private const string ReadPump = "SessionReadPump";
    private const string Chain = "RunChainAsync";
    private const string DispatcherFrame = "Internal.Pipeline.Dispatcher.";

    [Test]
    public async Task A_finishing_activity_hands_its_slot_to_the_next_queued_task_which_runs_in_the_same_work_item()
    {
        var gate = new BlockingActivity();
        var stacks = new ConcurrentDictionary<string, string>();
        await using var harness = WorkerHarness.Create(b => RegisterRecorder(gate.Register(b), stacks, inline: false), o => o.MaxConcurrency = 1);
        var session = await harness.StartAndRegisterAsync();

        var busy = harness.Engine.Dispatch(BlockingActivity.Type, "busy");
        await gate.WaitStartedAsync("busy");
        var queued = new[] { "q1", "q2", "q3" }.Select(input => harness.Engine.Dispatch(Recorded, input)).ToArray();
        await Poll.UntilAsync(() => harness.Worker.Runtime.InFlightCount == 4, "the three tasks wait behind the busy slot");
        Assert.That(stacks, Is.Empty);
        Assert.That(WorkItemStarts(harness), Is.EqualTo(1), "the busy activity, started by the read pump");

        gate.Release("busy");
        await busy.Result.Within();
        foreach (var task in queued)
        {
            await task.Result.Within();
        }

        // Each queued task ran in the slot the previous one handed on, in the chain that ran the busy
        // activity: no work item of its own (a dispatcher start gives every task one).
        Assert.That(WorkItemStarts(harness), Is.EqualTo(1));
        foreach (var input in new[] { "q1", "q2", "q3" })
        {
            Assert.That(stacks[input], Does.Contain(Chain), input);
        }

        Assert.That(session.Results, Has.Count.EqualTo(4));
        await harness.StopAsync();
    }

    [Test]
    public async Task With_an_admission_filter_the_dispatcher_decides_every_start_and_each_task_is_its_own_work_item()
    {
        // The contrast to the hand-off above: admission stages decide on the dispatcher, so nothing is handed on.
        var gate = new BlockingActivity();
        var stacks = new ConcurrentDictionary<string, string>();
        await using var harness = WorkerHarness.Create(
            b => RegisterRecorder(gate.Register(b), stacks, inline: false).ConfigurePipeline(p => p.AddConcurrencyLimit(Recorded, 1)),
            o => o.MaxConcurrency = 1);
        await harness.StartAndRegisterAsync();

        var busy = harness.Engine.Dispatch(BlockingActivity.Type, "busy");
        await gate.WaitStartedAsync("busy");
        var queued = harness.Engine.Dispatch(Recorded, "q1");
        await Poll.UntilAsync(() => harness.Worker.Runtime.InFlightCount == 2, "the task waits behind the busy slot");

        gate.Release("busy");
        await busy.Result.Within();
        await queued.Result.Within();

        Assert.That(WorkItemStarts(harness), Is.EqualTo(2), "the busy activity and the queued one each had their own");
        Assert.That(stacks["q1"], Does.Contain(OwnWorkItem).And.Not.Contain(ReadPump));
        await harness.StopAsync();
    }

    [Test]
    public async Task A_task_that_arrives_with_a_slot_free_is_started_by_the_read_pump_as_a_work_item()
    {
        var stacks = new ConcurrentDictionary<string, string>();
        await using var harness = WorkerHarness.Create(b => RegisterRecorder(b, stacks, inline: false));
        await harness.StartAndRegisterAsync();

        await harness.Engine.Dispatch(Recorded, "free").Result.Within();
        Assert.That(WorkItemStarts(harness), Is.EqualTo(1));

        // Started without the dispatcher, but not on the read pump's thread: a handler that is not inline gets its own work item.
        Assert.That(stacks["free"], Does.Contain(OwnWorkItem));
        Assert.That(stacks["free"], Does.Not.Contain(ReadPump));
        await harness.StopAsync();
    }

    [Test]
    public async Task An_inline_handler_runs_on_the_read_pump_as_its_task_arrives_with_no_work_item()
    {
        var stacks = new ConcurrentDictionary<string, string>();
        await using var harness = WorkerHarness.Create(b => RegisterRecorder(b, stacks, inline: true));
        var session = await harness.StartAndRegisterAsync();

        var tasks = new[] { "i1", "i2" }.Select(input => harness.Engine.Dispatch(Recorded, input)).ToArray();
        foreach (var task in tasks)
        {
            Assert.That((await task.Result.Within()).Result.Bytes.ToStringUtf8(), Is.EqualTo("\"i-ok\""));
        }

        foreach (var input in new[] { "i1", "i2" })
        {
            Assert.That(stacks[input], Does.Contain(ReadPump), input);
            Assert.That(stacks[input], Does.Not.Contain(OwnWorkItem), input);
        }

        Assert.That(session.Results, Has.Count.EqualTo(2));
        Assert.That(WorkItemStarts(harness), Is.Zero, "no work item per task");
        await harness.StopAsync();
    }

    [Test]
    public async Task A_chain_started_inline_by_the_dispatcher_gives_a_queued_handler_that_is_not_inline_its_own_work_item()
    {
        // Tasks that arrive during a replay wait for it; the dispatcher then starts them. The inline one
        // runs on the dispatcher's thread, and the ordinary task its slot is handed to must not: a
        // handler that may block never runs on the dispatcher (or a pump).
        var stacks = new ConcurrentDictionary<string, string>();
        var hook = new SendHook();
        var replay = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(
            b => hook.Install(RegisterRecorder(b, stacks, inline: false)
                .AddActivity<string, string>("test.inline", (input, _) =>
                {
                    stacks[input] = new StackTrace().ToString();
                    return input;
                }, new ActivityOptions { RunInline = true })),
            o => o.MaxConcurrency = 1,
            new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        harness.Engine.RedispatchLostTasks = false;
        var sleeps = new Sleeps(harness.Time);

        var first = await harness.StartAndRegisterAsync();
        await harness.Engine.Dispatch(Recorded, "seed").Result.Within();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 1, "the seed result is tracked, unacked");

        // Session 2 replays the seed result; its send is held, so the replay does not finish.
        hook.OnSend = (session, frame) => session == 2 && frame.MessageCase == WorkerToServer.MessageOneofCase.Result ? replay.Task : null;
        first.Fail(new global::Grpc.Core.Status(global::Grpc.Core.StatusCode.Unavailable, "engine restarted"));
        await sleeps.PassAsync(TimeSpan.FromMilliseconds(5));
        await harness.Engine.WaitForSessionAsync(2).Within();

        var inline = harness.Engine.Dispatch("test.inline", "inline");
        var ordinary = harness.Engine.Dispatch(Recorded, "ordinary");
        await Poll.UntilAsync(() => harness.Worker.Runtime.InFlightCount == 2, "both tasks wait for the replay");
        Assert.That(stacks.Keys, Is.EquivalentTo(new[] { "seed" }));

        hook.OnSend = null;
        replay.TrySetResult();
        await inline.Result.Within();
        await ordinary.Result.Within();

        Assert.That(stacks["inline"], Does.Contain(DispatcherFrame).And.Not.Contain(OwnWorkItem), "the inline handler ran on the dispatcher");
        Assert.That(stacks["ordinary"], Does.Contain(OwnWorkItem).And.Not.Contain(DispatcherFrame), "the handed-on ordinary handler got its own work item");
        Assert.That(WorkItemStarts(harness), Is.EqualTo(2), "the seed (before the drop) and the ordinary task queued by the inline chain; the inline task had none");
        await harness.StopAsync();
    }

    [Test]
    public void RunInline_is_refused_at_registration_for_every_asynchronous_handler_shape()
    {
        var inline = new ActivityOptions { RunInline = true };
        var json = TaskStartJson.Default.String;
        var registrations = new (string Shape, Action<AionWorkerBuilder> Register)[]
        {
            ("async delegate", b => b.AddActivity<string, string>("a", (input, _) => Task.FromResult(input), inline)),
            ("activity instance", b => b.AddActivity("a", new EchoActivity(), inline)),
            ("activity factory", b => b.AddActivity("a", () => new EchoActivity(), inline)),
            ("context factory", b => b.AddActivity<string, string>("a", _ => new EchoActivity(), inline)),
            ("async delegate, JSON", b => b.AddActivity<string, string>("a", (input, _) => Task.FromResult(input), json, json, inline)),
            ("activity instance, JSON", b => b.AddActivity("a", new EchoActivity(), json, json, inline)),
            ("activity factory, JSON", b => b.AddActivity("a", () => new EchoActivity(), json, json, inline)),
            ("context factory, JSON", b => b.AddActivity<string, string>("a", _ => new EchoActivity(), json, json, inline)),
        };

        foreach (var (shape, register) in registrations)
        {
            var builder = AionWorker.CreateBuilder(WorkerHarness.DefaultOptions());
            var error = Assert.Throws<ArgumentException>(() => register(builder), shape);
            Assert.That(error!.Message, Does.Contain("RunInline").And.Contain("'a'").And.Contain("asynchronous"), shape);
            Assert.That(error.ParamName, Is.EqualTo("options"), shape);
        }
    }

    [Test]
    public void RunInline_is_accepted_for_a_synchronous_handler_and_shows_on_its_definition()
    {
        ActivityDefinition? seen = null;
        var builder = new CapturingBuilder(definition => seen = definition);
        builder.AddActivity<string, string>("sync", (input, _) => input, new ActivityOptions { RunInline = true });
        Assert.That(seen!.RunInline, Is.True);

        builder.AddActivity<string, string>("sync-json", (input, _) => input, TaskStartJson.Default.String, TaskStartJson.Default.String, new ActivityOptions { RunInline = true });
        Assert.That(seen!.RunInline, Is.True);

        builder.AddActivity<string, string>("default", (input, _) => input);
        Assert.That(seen!.RunInline, Is.False, "off by default");
    }

    private static long WorkItemStarts(WorkerHarness harness) => Interlocked.Read(ref harness.Worker.Runtime.WorkItemStarts);

    private static AionWorkerBuilder RegisterRecorder(AionWorkerBuilder builder, ConcurrentDictionary<string, string> stacks, bool inline) =>
        builder.AddActivity<string, string>(Recorded, (input, _) =>
        {
            stacks[input] = new StackTrace().ToString();
            return input.StartsWith('i') ? "i-ok" : input;
        }, inline ? new ActivityOptions { RunInline = true } : null);

    private sealed class EchoActivity : IActivity<string, string>
    {
        public Task<string> ExecuteAsync(string input, ActivityContext context) => Task.FromResult(input);
    }

    private sealed class CapturingBuilder(Action<ActivityDefinition> capture) : ActivityRegistrationBuilder<CapturingBuilder>
    {
        public override CapturingBuilder AddActivity(ActivityDefinition definition)
        {
            capture(definition);
            return this;
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class TaskStartJson : System.Text.Json.Serialization.JsonSerializerContext;
