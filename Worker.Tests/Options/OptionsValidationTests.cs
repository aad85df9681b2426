namespace Aion.Worker.Tests.Options;

public sealed class OptionsValidationTests
{
    private const string AboveTimerLimitMs = "4294967295";

    private static readonly TimeSpan AboveTimerLimit = TimeSpan.FromMilliseconds(4_294_967_295d);

    private static AionWorkerOptions Valid() => new()
    {
        TaskQueue = "tests",
        Identity = "validation-worker",
        MaxConcurrency = 2,
        Reconnect = new ReconnectOptions
        {
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(20),
            MaxAttempts = 3,
        },
    };

    private static AionWorkerBuilder Builder(AionWorkerOptions options) =>
        AionWorker.CreateBuilder(options).AddActivity<int, int>("noop", (input, _) => input);

    private static TestCaseData Case(string name, string option, Action<AionWorkerOptions> breakIt) =>
        new TestCaseData(breakIt, option).SetArgDisplayNames(name);

    private static IEnumerable<TestCaseData> SingleProblems()
    {
        yield return Case("InitialBackoff zero", "Reconnect.InitialBackoff", o => o.Reconnect.InitialBackoff = TimeSpan.Zero);
        yield return Case("InitialBackoff negative", "Reconnect.InitialBackoff", o => o.Reconnect.InitialBackoff = TimeSpan.FromMilliseconds(-1));
        yield return Case("InitialBackoff above timer limit", "Reconnect.InitialBackoff", o => o.Reconnect.InitialBackoff = AboveTimerLimit);
        yield return Case("MaxBackoff zero", "Reconnect.MaxBackoff", o => o.Reconnect.MaxBackoff = TimeSpan.Zero);
        yield return Case("MaxBackoff negative", "Reconnect.MaxBackoff", o => o.Reconnect.MaxBackoff = TimeSpan.FromSeconds(-5));
        yield return Case("MaxBackoff above timer limit", "Reconnect.MaxBackoff", o => o.Reconnect.MaxBackoff = AboveTimerLimit);
        yield return Case("RegisterTimeout zero", "RegisterTimeout", o => o.RegisterTimeout = TimeSpan.Zero);
        yield return Case("RegisterTimeout negative", "RegisterTimeout", o => o.RegisterTimeout = TimeSpan.FromTicks(-1));
        yield return Case("RegisterTimeout above timer limit", "RegisterTimeout", o => o.RegisterTimeout = AboveTimerLimit);
        yield return Case("SendTimeout zero", "SendTimeout", o => o.SendTimeout = TimeSpan.Zero);
        yield return Case("SendTimeout negative", "SendTimeout", o => o.SendTimeout = TimeSpan.FromMilliseconds(-20));
        yield return Case("SendTimeout above timer limit", "SendTimeout", o => o.SendTimeout = TimeSpan.MaxValue);
        yield return Case("MaxAttempts zero", "Reconnect.MaxAttempts", o => o.Reconnect.MaxAttempts = 0);
        yield return Case("MaxAttempts negative", "Reconnect.MaxAttempts", o => o.Reconnect.MaxAttempts = -1);
        yield return Case("MaxConcurrency zero", "MaxConcurrency", o => o.MaxConcurrency = 0);
        yield return Case("MaxConcurrency negative", "MaxConcurrency", o => o.MaxConcurrency = -4);
        yield return Case("MaxQueuedTasks zero", "MaxQueuedTasks", o => o.MaxQueuedTasks = 0);
        yield return Case("MaxUnackedResults zero", "MaxUnackedResults", o => o.MaxUnackedResults = 0);
        yield return Case("MaxSendMessageSize tiny", "MaxSendMessageSize", o => o.MaxSendMessageSize = 10);
        yield return Case("Jitter above one", "Reconnect.Jitter", o => o.Reconnect.Jitter = 1.5);
        yield return Case("Jitter negative", "Reconnect.Jitter", o => o.Reconnect.Jitter = -0.1);
        yield return Case("Jitter NaN", "Reconnect.Jitter", o => o.Reconnect.Jitter = double.NaN);
        yield return Case("Namespaces empty list", "Namespaces", o => o.Namespaces = []);
        yield return Case("Namespace empty name", "Namespaces[1]", o => o.Namespaces = ["a", ""]);
        yield return Case("Namespace duplicate", "Namespaces[2]", o => o.Namespaces = ["a", "b", "a"]);
        yield return Case("Namespace with comma", "Namespaces[0]", o => o.Namespaces = ["a,b"]);
        yield return Case("Namespace with space", "Namespaces[0]", o => o.Namespaces = ["my ns"]);
        yield return Case("Namespace with tab", "Namespaces[0]", o => o.Namespaces = ["ns\t"]);
        yield return Case("Namespace non-ASCII", "Namespaces[0]", o => o.Namespaces = ["café"]);
        yield return Case("Namespace with DEL", "Namespaces[0]", o => o.Namespaces = ["ns\x7F"]);
        yield return Case("Subject empty", "Subject", o => o.Subject = "");
        yield return Case("Subject with space", "Subject", o => o.Subject = "my worker");
        yield return Case("Subject non-ASCII", "Subject", o => o.Subject = "wörker");
        yield return Case("BearerToken empty", "BearerToken", o => o.BearerToken = "");
        yield return Case("BearerToken with space", "BearerToken", o => o.BearerToken = "Bearer abc");
        yield return Case("BearerToken non-ASCII", "BearerToken", o => o.BearerToken = "tökén");
        yield return Case("BearerToken with newline", "BearerToken", o => o.BearerToken = "abc\n");
        yield return Case("Identity missing", "Identity", o => o.Identity = null);
        yield return Case("Identity empty", "Identity", o => o.Identity = "");
        yield return Case("Identity whitespace", "Identity", o => o.Identity = "   ");
        yield return Case("TaskQueue missing", "TaskQueue", o => o.TaskQueue = null);
    }

    [TestCaseSource(nameof(SingleProblems))]
    public void Each_invalid_option_fails_at_build_naming_the_option(Action<AionWorkerOptions> breakIt, string option)
    {
        var options = Valid();
        breakIt(options);
        var builder = Builder(options);

        var error = Assert.Throws<InvalidOperationException>(() => builder.Build());

        Assert.That(error!.Message, Does.Contain("(1 problem)"), error.Message);
        Assert.That(error.Message, Does.Contain($"  - {option}:"), error.Message);
    }

    [Test]
    public void All_problems_are_reported_in_one_message_naming_each_option()
    {
        var options = new AionWorkerOptions
        {
            Namespaces = ["ok", "ok", "bad ns", "a,b"],
            Subject = "",
            TaskQueue = "tests",
            Identity = "",
            MaxConcurrency = 0,
            BearerToken = "has space",
            SendTimeout = TimeSpan.Zero,
            RegisterTimeout = AboveTimerLimit,
            Reconnect = new ReconnectOptions
            {
                InitialBackoff = TimeSpan.FromMilliseconds(-1),
                MaxBackoff = TimeSpan.Zero,
                MaxAttempts = 0,
            },
        };

        var error = Assert.Throws<InvalidOperationException>(() => Builder(options).Build());

        var message = error!.Message;
        string[] named =
        [
            "Namespaces[1]", "Namespaces[2]", "Namespaces[3]", "Subject", "Identity", "MaxConcurrency", "BearerToken",
            "SendTimeout", "RegisterTimeout", "Reconnect.InitialBackoff", "Reconnect.MaxBackoff", "Reconnect.MaxAttempts",
        ];
        foreach (var option in named)
        {
            Assert.That(message, Does.Contain($"  - {option}:"), $"{option} missing from: {message}");
        }

        Assert.That(message, Does.Contain($"({named.Length} problems)"), message);
        Assert.That(message, Does.Contain(AboveTimerLimitMs));
    }

    [Test]
    public void Missing_reconnect_options_fail_at_build_naming_reconnect()
    {
        var options = Valid();
        options.Reconnect = null!;

        var error = Assert.Throws<InvalidOperationException>(() => Builder(options).Build());

        Assert.That(error!.Message, Does.Contain("  - Reconnect: is required."));
    }

    [Test]
    public void Validation_message_never_shows_the_bearer_token()
    {
        var options = Valid();
        options.BearerToken = "top-secret value";

        var error = Assert.Throws<InvalidOperationException>(() => Builder(options).Build());

        Assert.That(error!.Message, Does.Contain("BearerToken"));
        Assert.That(error.Message, Does.Not.Contain("top-secret"));
    }

    [Test]
    public void Durations_at_the_timer_limit_are_valid()
    {
        var limit = TimeSpan.FromMilliseconds(4_294_967_294d);
        var options = Valid();
        options.Reconnect.MaxBackoff = limit;
        options.RegisterTimeout = limit;
        options.SendTimeout = limit;

        var worker = Builder(options).Build();

        Assert.That(worker.Options.SendTimeout, Is.EqualTo(limit));
    }

    [Test]
    public void Smallest_valid_values_are_accepted()
    {
        var options = Valid();
        options.Namespaces = ["!~"];
        options.Subject = "~";
        options.MaxConcurrency = 1;
        options.MaxQueuedTasks = 1;
        options.MaxUnackedResults = 1;
        options.MaxSendMessageSize = 1024;
        options.Reconnect.MaxAttempts = 1;
        options.Reconnect.InitialBackoff = TimeSpan.FromTicks(1);
        options.Reconnect.Jitter = 1;
        options.BearerToken = "x";

        Assert.DoesNotThrow(() => Builder(options).Build());
    }

    [Test]
    public void Invalid_options_are_reported_together_with_missing_activities()
    {
        var options = Valid();
        options.MaxConcurrency = 0;

        var error = Assert.Throws<InvalidOperationException>(() => AionWorker.CreateBuilder(options).Build());

        Assert.That(error!.Message, Does.Contain("(2 problems)"));
        Assert.That(error.Message, Does.Contain("MaxConcurrency"));
        Assert.That(error.Message, Does.Contain("Activities"));
    }
}
