using System.Net;

namespace Aion.Worker.Tests.Options;

public sealed class OptionsResolutionTests
{
    private const string Token = "s3cr3t-t0ken-value";

    private static AionWorker Build(AionWorkerOptions options) =>
        AionWorker.CreateBuilder(options)
            .AddActivity<int, int>("noop", (input, _) => input)
            .Build();

    private static AionWorkerOptions Minimal() => new()
    {
        TaskQueue = "tests",
        Identity = "options-worker",
        MaxConcurrency = 2,
        Reconnect = new ReconnectOptions
        {
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(20),
            MaxAttempts = 3,
        },
    };

    private static AionWorkerOptions EveryField(Func<CancellationToken, ValueTask<string>> provider) => new()
    {
        Namespaces = ["billing", "payments"],
        Subject = "svc-billing",
        TaskQueue = "billing-queue",
        Node = "node-7",
        Identity = "billing-worker-1",
        MaxConcurrency = 16,
        MaxQueuedTasks = 5,
        MaxUnackedResults = 123,
        RegisterTimeout = TimeSpan.FromSeconds(3),
        SendTimeout = TimeSpan.FromSeconds(4),
        MaxSendMessageSize = 65_536,
        BearerToken = Token,
        BearerTokenProvider = provider,
        Reconnect = new ReconnectOptions
        {
            InitialBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromSeconds(5),
            MaxAttempts = 10,
            RetryFirstConnectForever = true,
            Jitter = 0.25,
        },
    };

    [Test]
    public void Options_built_with_every_field_keep_every_value()
    {
        Func<CancellationToken, ValueTask<string>> provider = _ => ValueTask.FromResult("provided");
        var worker = Build(EveryField(provider));

        var resolved = worker.Options;

        Assert.That(resolved.Namespaces, Is.EqualTo(new[] { "billing", "payments" }));
        Assert.That(resolved.Subject, Is.EqualTo("svc-billing"));
        Assert.That(resolved.TaskQueue, Is.EqualTo("billing-queue"));
        Assert.That(resolved.Node, Is.EqualTo("node-7"));
        Assert.That(resolved.Identity, Is.EqualTo("billing-worker-1"));
        Assert.That(resolved.MaxConcurrency, Is.EqualTo(16));
        Assert.That(resolved.MaxQueuedTasks, Is.EqualTo(5));
        Assert.That(resolved.MaxUnackedResults, Is.EqualTo(123));
        Assert.That(resolved.RegisterTimeout, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(resolved.SendTimeout, Is.EqualTo(TimeSpan.FromSeconds(4)));
        Assert.That(resolved.MaxSendMessageSize, Is.EqualTo(65_536));
        Assert.That(resolved.BearerToken, Is.EqualTo(Token));
        Assert.That(resolved.BearerTokenProvider, Is.SameAs(provider));
        Assert.That(resolved.Reconnect.InitialBackoff, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
        Assert.That(resolved.Reconnect.MaxBackoff, Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That(resolved.Reconnect.MaxAttempts, Is.EqualTo(10));
        Assert.That(resolved.Reconnect.RetryFirstConnectForever, Is.True);
        Assert.That(resolved.Reconnect.Jitter, Is.EqualTo(0.25));
    }

    [Test]
    public void Resolved_options_are_a_copy_unaffected_by_later_changes()
    {
        var options = EveryField(_ => ValueTask.FromResult("provided"));
        var worker = Build(options);

        options.Namespaces!.Add("late");
        options.Reconnect.MaxAttempts = 99;
        options.MaxConcurrency = 1;
        var first = worker.Options;
        first.Namespaces!.Clear();
        first.Reconnect.InitialBackoff = TimeSpan.FromDays(1);
        first.Identity = "changed";

        var second = worker.Options;
        Assert.That(second.Namespaces, Is.EqualTo(new[] { "billing", "payments" }));
        Assert.That(second.Reconnect.MaxAttempts, Is.EqualTo(10));
        Assert.That(second.Reconnect.InitialBackoff, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
        Assert.That(second.MaxConcurrency, Is.EqualTo(16));
        Assert.That(second.Identity, Is.EqualTo("billing-worker-1"));
    }

    [Test]
    public void Unset_options_resolve_to_their_documented_defaults()
    {
        var options = Minimal();
        Assert.That(options.Namespaces, Is.Null, "a bindable collection is never pre-filled");

        var resolved = Build(options).Options;

        Assert.That(resolved.Namespaces, Is.EqualTo(new[] { "default" }));
        Assert.That(resolved.Subject, Is.EqualTo("worker"));
        Assert.That(resolved.MaxQueuedTasks, Is.EqualTo(64));
        Assert.That(resolved.MaxUnackedResults, Is.EqualTo(10_000));
        Assert.That(resolved.MaxSendMessageSize, Is.EqualTo(4 * 1024 * 1024));
        Assert.That(resolved.RegisterTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(20)), "RegisterTimeout defaults to MaxBackoff");
        Assert.That(resolved.SendTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(20)), "SendTimeout defaults to MaxBackoff");
        Assert.That(resolved.Reconnect.RetryFirstConnectForever, Is.False);
        Assert.That(resolved.Reconnect.Jitter, Is.Zero);
        Assert.That(resolved.BearerToken, Is.Null);
    }

    [Test]
    public void Max_queued_tasks_defaults_to_twice_max_concurrency_when_above_64()
    {
        var options = Minimal();
        options.MaxConcurrency = 40;

        Assert.That(Build(options).Options.MaxQueuedTasks, Is.EqualTo(80));
    }

    [TestCase(1_500_000_000)]
    [TestCase(int.MaxValue)]
    public void Max_queued_tasks_default_saturates_instead_of_overflowing(int maxConcurrency)
    {
        var options = Minimal();
        options.MaxConcurrency = maxConcurrency;

        Assert.That(Build(options).Options.MaxQueuedTasks, Is.EqualTo(int.MaxValue));
    }

    [Test]
    public void Node_defaults_to_the_host_name()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("HOSTNAME");
        var expected = !string.IsNullOrWhiteSpace(fromEnvironment) ? fromEnvironment.Trim() : Dns.GetHostName();
        if (string.IsNullOrWhiteSpace(expected))
        {
            expected = "localhost";
        }

        var node = Build(Minimal()).Options.Node;

        Assert.That(node, Is.Not.Null.And.Not.Empty);
        Assert.That(node, Is.EqualTo(expected));
    }

    [Test]
    public void Empty_node_is_kept_as_no_affinity()
    {
        var options = Minimal();
        options.Node = "";

        Assert.That(Build(options).Options.Node, Is.EqualTo(""));
    }

    [Test]
    public void Empty_task_queue_is_valid_and_kept()
    {
        var options = Minimal();
        options.TaskQueue = "";

        Assert.That(Build(options).Options.TaskQueue, Is.EqualTo(""));
    }

    [Test]
    public void ToString_never_shows_the_bearer_token()
    {
        var options = EveryField(_ => ValueTask.FromResult(Token));
        var worker = Build(options);

        var before = options.ToString();
        var resolved = worker.Options.ToString();

        Assert.That(before, Does.Not.Contain(Token));
        Assert.That(resolved, Does.Not.Contain(Token));
        Assert.That(resolved, Does.Contain("BearerToken=***"));
        Assert.That(resolved, Does.Contain("billing-worker-1"), "the rest of the options is still described");
    }

    [Test]
    public void ToString_says_when_no_token_is_set()
    {
        Assert.That(Minimal().ToString(), Does.Contain("BearerToken=none"));
    }
}
