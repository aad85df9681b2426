using Aion.Worker.Benchmarks.Load;

namespace Aion.Worker.Tests.Cli;

/// <summary>The load driver's command line, with the demo's conventions: parsed and validated before anything runs.</summary>
public sealed class LoadCommandTests
{
    private sealed class Recorder
    {
        public LoadSettings? Throughput { get; private set; }

        public int? InFlight { get; private set; }

        public (int Tasks, int Rounds)? Recovery { get; private set; }

        public LoadCommand.Handlers Handlers => new(
            settings =>
            {
                Throughput = settings;
                return Task.FromResult(0);
            },
            tasks =>
            {
                InFlight = tasks;
                return Task.FromResult(0);
            },
            (tasks, rounds) =>
            {
                Recovery = (tasks, rounds);
                return Task.FromResult(0);
            });

        public bool RanAnything => Throughput is not null || InFlight is not null || Recovery is not null;
    }

    private static async Task<(int Code, string Output, string Error, Recorder Runs)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var runs = new Recorder();
        var code = await LoadCommand.InvokeAsync(["load", .. args], output, error, runs.Handlers);
        return (code, output.ToString(), error.ToString(), runs);
    }

    [Test]
    public async Task Defaults_are_the_drivers_defaults()
    {
        var (code, _, _, runs) = await RunAsync();

        Assert.That(code, Is.Zero);
        var settings = runs.Throughput!;
        Assert.That(settings.Transports, Is.EqualTo(new[] { "inmemory" }));
        Assert.That(settings.Workloads, Is.EqualTo(new[] { "noop", "json" }));
        Assert.That(settings.Concurrencies, Is.EqualTo(new[] { 1, 64 }));
        Assert.That(settings.Tasks, Is.Null);
        Assert.That(settings.Arguments, Is.Empty);
    }

    [Test]
    public async Task Lists_and_counts_are_parsed_and_the_arguments_kept_for_the_report_header()
    {
        var (code, _, _, runs) = await RunAsync("--transport", "inmemory,grpc,grpc-raw", "--workload", "json", "--concurrency", "1,8,64", "--tasks", "5000");

        Assert.That(code, Is.Zero);
        var settings = runs.Throughput!;
        Assert.That(settings.Transports, Is.EqualTo(new[] { "inmemory", "grpc", "grpc-raw" }));
        Assert.That(settings.Workloads, Is.EqualTo(new[] { "json" }));
        Assert.That(settings.Concurrencies, Is.EqualTo(new[] { 1, 8, 64 }));
        Assert.That(settings.Tasks, Is.EqualTo(5000));
        Assert.That(string.Join(' ', settings.Arguments), Is.EqualTo("--transport inmemory,grpc,grpc-raw --workload json --concurrency 1,8,64 --tasks 5000"));
    }

    [Test]
    public async Task Worker_process_and_pairs_are_carried_into_the_settings()
    {
        var (code, _, _, runs) = await RunAsync("--transport", "grpc,grpc-raw,grpc-batched", "--worker-process", "--pairs", "3");

        Assert.That(code, Is.Zero);
        var settings = runs.Throughput!;
        Assert.That(settings.Transports, Is.EqualTo(new[] { "grpc", "grpc-raw", "grpc-batched" }));
        Assert.That(settings.WorkerProcess, Is.True);
        Assert.That(settings.Pairs, Is.EqualTo(3));

        var defaults = (await RunAsync()).Runs.Throughput!;
        Assert.That((defaults.WorkerProcess, defaults.Pairs), Is.EqualTo((false, 1)));
    }

    [Test]
    public async Task Warmup_is_carried_into_the_settings_and_must_be_positive()
    {
        var (code, _, _, runs) = await RunAsync("--warmup", "300000");
        Assert.That(code, Is.Zero);
        Assert.That(runs.Throughput!.Warmup, Is.EqualTo(300_000));

        Assert.That((await RunAsync()).Runs.Throughput!.Warmup, Is.EqualTo(LoadDriver.DefaultWarmup));

        var (bad, _, error, rejected) = await RunAsync("--warmup", "0");
        Assert.That(bad, Is.EqualTo(2));
        Assert.That(error, Does.Contain("--warmup"));
        Assert.That(rejected.Throughput, Is.Null);
    }

    [Test]
    public async Task The_worker_child_command_takes_its_variant_address_and_concurrency()
    {
        ChildSettings? child = null;
        var handlers = new LoadCommand.Handlers(_ => Task.FromResult(0), _ => Task.FromResult(0), (_, _) => Task.FromResult(0), settings =>
        {
            child = settings;
            return Task.FromResult(0);
        });
        var code = await LoadCommand.InvokeAsync(["load", "worker-child", "--variant", "grpc-batched", "--address", "http://127.0.0.1:5000/", "--concurrency", "8"], new StringWriter(), new StringWriter(), handlers);

        Assert.That(code, Is.Zero);
        Assert.That(child, Is.EqualTo(new ChildSettings("grpc-batched", "http://127.0.0.1:5000/", 8)));
    }

    [Test]
    public async Task The_scenarios_take_their_own_options()
    {
        var inflight = await RunAsync("inflight", "--tasks", "2000");
        var recovery = await RunAsync("recovery", "--rounds", "3");

        Assert.That((inflight.Code, inflight.Runs.InFlight), Is.EqualTo((0, (int?)2000)));
        Assert.That((recovery.Code, recovery.Runs.Recovery), Is.EqualTo((0, ((int, int)?)(10_000, 3))));
    }

    [TestCase(new[] { "--transport", "tcp" }, "--transport: 'tcp' is not one of inmemory, inmemory-raw, streams, grpc, grpc-raw, grpc-batched.", "load")]
    [TestCase(new[] { "--workload", "noop,xml" }, "--workload: 'xml' is not one of noop, json, noop-inline.", "load")]
    [TestCase(new[] { "--concurrency", "0,4" }, "--concurrency must be at least 1 (was 0).", "load")]
    [TestCase(new[] { "--concurrency", "a" }, "--concurrency: 'a' is not a whole number.", "load")]
    [TestCase(new[] { "--concurrency", "1,,4" }, "--concurrency: expected a comma-separated list without empty items.", "load")]
    [TestCase(new[] { "--tasks", "abc" }, "--tasks: 'abc' is not a whole number.", "load")]
    [TestCase(new[] { "--pairs", "0" }, "--pairs must be at least 1 (was 0).", "load")]
    [TestCase(new[] { "worker-child", "--variant", "inmemory", "--address", "x" }, "--variant: 'inmemory' is not one of grpc, streams, grpc-raw, grpc-batched.", "load worker-child")]
    [TestCase(new[] { "inflight", "--tasks", "0" }, "--tasks must be at least 1 (was 0).", "load inflight")]
    [TestCase(new[] { "recovery", "--rounds", "x" }, "--rounds: 'x' is not a whole number.", "load recovery")]
    [TestCase(new[] { "recovery", "--rouns", "3" }, "Unrecognized command or argument '--rouns'.", "load recovery")]
    public async Task Bad_values_exit_with_2_and_say_what_is_wrong_without_running(string[] args, string message, string command)
    {
        var (code, output, error, runs) = await RunAsync(args);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("error: " + message));
        Assert.That(error, Does.EndWith($"Run 'Aion.Worker.Benchmarks {command} --help' for usage.{Environment.NewLine}").Or.EndWith($"Run 'testhost {command} --help' for usage.{Environment.NewLine}").Or.Contain($"{command} --help' for usage."));
        Assert.That(output, Is.Empty);
        Assert.That(runs.RanAnything, Is.False);
    }

    [Test]
    public async Task A_mistyped_option_gets_a_suggestion()
    {
        var (code, _, error, _) = await RunAsync("recovery", "--rouns", "3");

        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("Did you mean '--rounds' instead of '--rouns'?"));
    }

    [Test]
    public async Task Help_describes_the_load_command_and_its_scenarios()
    {
        var (code, output, _, runs) = await RunAsync("--help");

        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("--transport").And.Contain("--workload").And.Contain("--concurrency").And.Contain("--tasks"));
        Assert.That(output, Does.Contain("inflight").And.Contain("recovery"));
        Assert.That(output, Does.Contain("[default: noop,json]"));
        Assert.That(runs.RanAnything, Is.False);
    }
}
