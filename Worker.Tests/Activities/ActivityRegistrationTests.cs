using Aion.Worker.Tests.Support;

namespace Aion.Worker.Tests.Activities;

public sealed class ActivityRegistrationTests
{
    private static AionWorkerBuilder NewBuilder() => AionWorker.CreateBuilder(WorkerHarness.DefaultOptions());

    [Test]
    public void Duplicate_activity_type_is_rejected_at_registration()
    {
        var builder = NewBuilder().AddActivity<int, int>("math.double", (input, _) => input * 2);

        var error = Assert.Throws<ArgumentException>(() => builder.AddActivity<string, string>("math.double", (input, _) => Task.FromResult(input)));

        Assert.That(error!.Message, Does.Contain("math.double"));
    }

    [Test]
    public void Duplicate_activity_type_is_rejected_across_registration_styles()
    {
        var builder = NewBuilder().AddActivity("math.double", new DoublingActivity());

        Assert.Throws<ArgumentException>(() => builder.AddActivity<int, int>("math.double", () => new DoublingActivity()));
        Assert.Throws<ArgumentException>(() => builder.AddActivity<int, int>("math.double", (input, _) => input));
    }

    [Test]
    public void Activity_types_differing_only_in_case_are_distinct()
    {
        var builder = NewBuilder()
            .AddActivity<int, int>("Math.Double", (input, _) => input)
            .AddActivity<int, int>("math.double", (input, _) => input);

        Assert.That(builder.Build().ActivityTypes, Has.Count.EqualTo(2));
    }

    [Test]
    public void Empty_activity_type_is_rejected_at_registration()
    {
        Assert.Throws<ArgumentException>(() => NewBuilder().AddActivity<int, int>("", (input, _) => input));
    }

    [Test]
    public void Building_with_no_activities_fails()
    {
        var error = Assert.Throws<InvalidOperationException>(() => NewBuilder().Build());

        Assert.That(error!.Message, Does.Contain("Activities"));
        Assert.That(error.Message, Does.Contain("(1 problem)"));
    }

    [Test]
    public void Activity_types_are_sorted_by_utf8_bytes()
    {
        // "\uFF5E" (EF BD 9E) sorts before "\U0001F600" (F0 9F 98 80) in UTF-8, but after it in UTF-16 ordinal order (FF5E > D83D).
        string[] registered = ["b", "\U0001F600", "a", "\uFF5E", "é", "B", "a.b", "ab"];
        var builder = NewBuilder();
        foreach (var type in registered)
        {
            builder.AddActivity<int, int>(type, (input, _) => input);
        }

        var types = builder.Build().ActivityTypes;

        Assert.That(types, Is.EqualTo(new[] { "B", "a", "a.b", "ab", "b", "é", "\uFF5E", "\U0001F600" }));
        Assert.That(string.CompareOrdinal("\uFF5E", "\U0001F600"), Is.GreaterThan(0), "the vector must tell UTF-16 and UTF-8 order apart");
    }

    [Test]
    public void Available_handlers_hold_exactly_the_registered_types_for_ordinal_membership_checks()
    {
        var worker = NewBuilder()
            .AddActivity<int, int>("math.double", (input, _) => input * 2)
            .AddActivity("math.twice", new DoublingActivity())
            .AddActivity<int, int>("Math.Double", () => new DoublingActivity())
            .Build();

        var handlers = worker.AvailableHandlers;

        Assert.That(handlers, Is.EquivalentTo(worker.ActivityTypes), "the same names as ActivityTypes, whatever the registration style");
        Assert.That(handlers, Has.Count.EqualTo(3));
        Assert.That(handlers.Contains("math.double"), Is.True);
        Assert.That(handlers.Contains("Math.Double"), Is.True);
        Assert.That(handlers.Contains("MATH.DOUBLE"), Is.False, "membership is ordinal: case-sensitive");
        Assert.That(handlers.Contains("math.triple"), Is.False);
        Assert.That(handlers.IsSupersetOf(["math.double", "math.twice"]), Is.True, "a registration naming only served types validates");
        Assert.That(handlers.IsSupersetOf(["math.double", "math.unknown"]), Is.False);
        Assert.That(worker.ActivityTypes, Is.EqualTo(new[] { "Math.Double", "math.double", "math.twice" }), "ActivityTypes is the wire order");
        var mutable = handlers as ICollection<string>;
        Assert.That(mutable is null || mutable.IsReadOnly, Is.True, "callers cannot add a handler name");
    }

    [Test]
    public async Task Registration_frame_carries_sorted_types_namespaces_task_queue_and_node()
    {
        await using var harness = WorkerHarness.Create(
            builder => builder
                .AddActivity<int, int>("\U0001F600", (input, _) => input)
                .AddActivity<int, int>("zeta", (input, _) => input)
                .AddActivity<int, int>("\uFF5E", (input, _) => input)
                .AddActivity<int, int>("alpha", (input, _) => input),
            options =>
            {
                options.Namespaces = ["ns-b", "ns-a"];
                options.TaskQueue = "billing";
                options.Node = "node-42";
                options.Subject = "svc";
            });
        var session = await harness.StartAndRegisterAsync();

        var registration = harness.Engine.Registrations.Single();
        Assert.That(registration.ActivityTypes, Is.EqualTo(new[] { "alpha", "zeta", "\uFF5E", "\U0001F600" }));
        Assert.That(registration.ActivityTypes, Is.EqualTo(harness.Worker.ActivityTypes));
        Assert.That(harness.Worker.AvailableHandlers, Is.EquivalentTo(registration.ActivityTypes));
        Assert.That(registration.Namespaces, Is.EqualTo(new[] { "ns-b", "ns-a" }), "configured order is kept");
        Assert.That(registration.TaskQueue, Is.EqualTo("billing"));
        Assert.That(registration.Node, Is.EqualTo("node-42"));
        Assert.That(session.Metadata.NamespacesHeader, Is.EqualTo("ns-b,ns-a"));
        Assert.That(session.Metadata.Subject, Is.EqualTo("svc"));

        await harness.StopAsync();
    }

    [Test]
    public async Task Registration_frame_carries_the_default_namespace_and_host_node()
    {
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<int, int>("noop", (input, _) => input));
        await harness.StartAndRegisterAsync();

        var registration = harness.Engine.Registrations.Single();
        Assert.That(registration.Namespaces, Is.EqualTo(new[] { "default" }));
        Assert.That(registration.TaskQueue, Is.EqualTo("tests"));
        Assert.That(registration.Node, Is.EqualTo(harness.Worker.Options.Node).And.Not.Empty);

        await harness.StopAsync();
    }

    private sealed class DoublingActivity : IActivity<int, int>
    {
        public Task<int> ExecuteAsync(int input, ActivityContext context) => Task.FromResult(input * 2);
    }
}
