using Aion.Worker.Demo;

namespace Aion.Worker.Tests.Cli;

/// <summary>The demo's command line: bad values exit with 2 and a clear message before anything runs.</summary>
public sealed class DemoCliTests
{
    private sealed class Recorder
    {
        public DemoSettings? InMemory { get; private set; }

        public ServeSettings? Serve { get; private set; }

        public Task<int> RunInMemory(DemoSettings settings)
        {
            InMemory = settings;
            return Task.FromResult(0);
        }

        public Task<int> RunServe(ServeSettings settings)
        {
            Serve = settings;
            return Task.FromResult(0);
        }
    }

    private static async Task<(int Code, string Output, string Error, Recorder Runs)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var runs = new Recorder();
        var code = await DemoCli.InvokeAsync(args, output, error, runs.RunInMemory, runs.RunServe);
        return (code, output.ToString(), error.ToString(), runs);
    }

    [Test]
    public async Task Without_arguments_the_embedded_engine_runs_with_the_defaults()
    {
        var (code, _, error, runs) = await RunAsync();

        Assert.That(code, Is.Zero);
        Assert.That(error, Is.Empty);
        Assert.That(runs.InMemory, Is.EqualTo(new DemoSettings(10_000, 32)));
        Assert.That(runs.Serve, Is.Null);
    }

    [Test]
    public async Task Values_are_parsed_in_both_spellings()
    {
        var (code, _, _, runs) = await RunAsync("--tasks", "500", "--concurrency=4");

        Assert.That(code, Is.Zero);
        Assert.That(runs.InMemory, Is.EqualTo(new DemoSettings(500, 4)));
    }

    [Test]
    public async Task Endpoint_selects_serving_with_its_options()
    {
        var (code, _, _, runs) = await RunAsync("--endpoint", "https://engine.example:7233", "--namespace", "billing, refunds", "--task-queue", "q", "--token", "t0k", "--concurrency", "8");

        Assert.That(code, Is.Zero);
        Assert.That(runs.InMemory, Is.Null);
        var serve = runs.Serve!;
        Assert.That(serve.Endpoint, Is.EqualTo(new Uri("https://engine.example:7233")));
        Assert.That(serve.Namespaces, Is.EqualTo(new[] { "billing", "refunds" }));
        Assert.That((serve.TaskQueue, serve.Token, serve.Concurrency), Is.EqualTo(("q", "t0k", 8)));
    }

    [TestCase(new[] { "--tasks", "abc" }, "--tasks: 'abc' is not a whole number.")]
    [TestCase(new[] { "--tasks", "0" }, "--tasks must be at least 1 (was 0).")]
    [TestCase(new[] { "--concurrency", "0" }, "--concurrency must be at least 1 (was 0).")]
    [TestCase(new[] { "--concurrency", "-3" }, "--concurrency must be at least 1 (was -3).")]
    [TestCase(new[] { "--concurrency", "99999999999" }, "--concurrency: '99999999999' is not a whole number.")]
    [TestCase(new[] { "--tasks" }, "Required argument missing for option: '--tasks'.")]
    [TestCase(new[] { "--endpoint", "ftp://engine" }, "--endpoint must be an absolute http:// or https:// URI (was 'ftp://engine').")]
    [TestCase(new[] { "--endpoint", "engine:7233" }, "--endpoint must be an absolute http:// or https:// URI (was 'engine:7233').")]
    [TestCase(new[] { "--token", "x" }, "--token only applies with --endpoint.")]
    [TestCase(new[] { "--endpoint", "http://127.0.0.1:1", "--tasks", "5" }, "--tasks only applies to the embedded engine")]
    [TestCase(new[] { "extra" }, "Unrecognized command or argument 'extra'.")]
    public async Task Bad_values_exit_with_2_and_say_what_is_wrong_without_running(string[] args, string message)
    {
        var (code, output, error, runs) = await RunAsync(args);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("error: " + message));
        Assert.That(error, Does.Contain("Run 'Aion.Worker.Demo --help' for usage.").Or.Contain("--help' for usage."));
        Assert.That(output, Is.Empty);
        Assert.That((runs.InMemory, runs.Serve), Is.EqualTo(((DemoSettings?)null, (ServeSettings?)null)));
    }

    [Test]
    public async Task A_mistyped_option_gets_a_suggestion()
    {
        var (code, _, error, _) = await RunAsync("--concurency", "4");

        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("Unrecognized command or argument '--concurency'."));
        Assert.That(error, Does.Contain("Did you mean '--concurrency' instead of '--concurency'?"));
    }

    [Test]
    public async Task Help_lists_every_option_and_exits_0_without_running()
    {
        var (code, output, _, runs) = await RunAsync("--help");

        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("--tasks").And.Contain("--concurrency").And.Contain("--endpoint").And.Contain("--namespace").And.Contain("--task-queue").And.Contain("--token"));
        Assert.That(output, Does.Contain("[default: 10000]"));
        Assert.That(runs.InMemory, Is.Null);
    }

    [Test]
    public void Progress_is_one_rewritten_line_on_a_terminal_and_plain_lines_when_redirected()
    {
        var terminal = new StringWriter();
        var live = new ProgressReporter(terminal, live: true);
        live.Report("  reported 1 / 2");
        live.Report("  reported 2 / 2");
        live.Complete();

        var file = new StringWriter();
        var redirected = new ProgressReporter(file, live: false);
        redirected.Report("  reported 1 / 2");
        redirected.Report("  reported 2 / 2");
        redirected.Complete();

        Assert.That(terminal.ToString(), Is.EqualTo("\r  reported 1 / 2\r  reported 2 / 2" + Environment.NewLine));
        Assert.That(live.Interval, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
        Assert.That(file.ToString(), Is.EqualTo("reported 1 / 2" + Environment.NewLine + "reported 2 / 2" + Environment.NewLine));
        Assert.That(file.ToString(), Does.Not.Contain("\r"));
        Assert.That(redirected.Interval, Is.EqualTo(TimeSpan.FromSeconds(1)));
    }
}
