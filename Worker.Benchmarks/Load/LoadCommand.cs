using System.CommandLine;
using Aion.Worker.Cli;

namespace Aion.Worker.Benchmarks.Load;

/// <summary>The throughput run: every combination of transport, workload and concurrency.</summary>
/// <param name="Transports">The transports, in order.</param>
/// <param name="Workloads">The workloads, in order.</param>
/// <param name="Concurrencies">The concurrencies, in order.</param>
/// <param name="Tasks">Tasks per row; null for each row's default.</param>
/// <param name="Arguments">The arguments after <c>load</c>, echoed in the report's header.</param>
/// <param name="WorkerProcess">Run the worker (or bare client) of the gRPC and stream rows in a child process.</param>
/// <param name="Pairs">Runs of every row, alternating the transports; medians are printed after the single runs.</param>
/// <param name="Warmup">Tasks pushed before every measured run, so tiered JIT and PGO have settled.</param>
internal sealed record LoadSettings(string[] Transports, string[] Workloads, int[] Concurrencies, int? Tasks, string[] Arguments, bool WorkerProcess = false, int Pairs = 1, int Warmup = LoadDriver.DefaultWarmup);

/// <summary>The child process of a <c>--worker-process</c> row (<c>load worker-child …</c>, started by the driver).</summary>
/// <param name="Variant">What runs: <c>grpc</c>, <c>streams</c>, <c>grpc-raw</c> or <c>grpc-batched</c>.</param>
/// <param name="Address">The engine: a URI for the gRPC variants, a TCP port for streams.</param>
/// <param name="Concurrency">The worker's concurrency.</param>
internal sealed record ChildSettings(string Variant, string Address, int Concurrency, bool Inline = false);

/// <summary>
/// The load driver's command line (<c>load …</c>), with the demo's conventions (<see cref="Cli"/>):
/// <c>--help</c>, every bad value reported with exit code 2 before anything runs. To add an option,
/// declare it here, add it to its command and carry its value into the settings.
/// </summary>
internal static class LoadCommand
{
    public static readonly string[] Transports = ["inmemory", "inmemory-raw", "streams", "grpc", "grpc-raw", "grpc-batched"];

    /// <summary>What a <c>--worker-process</c> child can run.</summary>
    public static readonly string[] ChildVariants = ["grpc", "streams", "grpc-raw", "grpc-batched"];

    public static readonly string[] Workloads = ["noop", "json", "noop-inline"];

    /// <summary>The handlers the commands run; tests pass fakes.</summary>
    internal sealed record Handlers(
        Func<LoadSettings, Task<int>> Throughput,
        Func<int, Task<int>> InFlight,
        Func<int, int, Task<int>> Recovery,
        Func<ChildSettings, Task<int>>? WorkerChild = null);

    public static Handlers Real { get; } = new(LoadDriver.RunAsync, Scenarios.InFlightAsync, Scenarios.RecoveryAsync, WorkerChild.RunAsync);

    /// <summary>Parses <c>load …</c> (<paramref name="args"/> starts with <c>load</c>) and runs it.</summary>
    public static Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error, Handlers? handlers = null) =>
        Cli.Cli.InvokeAsync(Create(handlers ?? Real), args, output, error);

    public static RootCommand Create(Handlers handlers)
    {
        string[] defaultTransports = ["inmemory"];
        string[] defaultWorkloads = ["noop", "json"];
        int[] defaultConcurrencies = [1, 64];
        var transport = Cli.Cli.NameList("--transport", Transports, defaultTransports, "Transports to drive");
        var workload = Cli.Cli.NameList("--workload", Workloads, defaultWorkloads, "Workloads: raw no-op, typed JSON echo, or the raw no-op registered with ActivityOptions.RunInline (noop-inline; bare clients run it as noop)");
        var concurrency = Cli.Cli.IntList("--concurrency", 1, defaultConcurrencies, "Worker concurrencies; 1 is ping-pong latency.");
        var tasks = Cli.Cli.OptionalAtLeast("--tasks", 1, "Tasks per row [default: per transport and concurrency, 20,000 to 1,000,000].");
        var workerProcess = new Option<bool>("--worker-process")
        {
            Description = "Run the worker (or bare client) of the gRPC and stream rows in a child process against the engine in this one; "
                + "the row's worker CPU, work items and bytes per task are the child's. In-memory rows stay in this process.",
        };
        var pairs = Cli.Cli.AtLeast("--pairs", 1, 1, "Runs of every row, alternating the transports in each round; with more than one, the medians follow the single runs.");
        var warmup = Cli.Cli.AtLeast("--warmup", 1, LoadDriver.DefaultWarmup, "Tasks pushed before every measured run (tiered JIT and PGO settle); profiles want more.");
        var load = new Command("load", "Throughput: pushes tasks through a worker and an engine; one report row per transport, workload and concurrency.")
        {
            transport, workload, concurrency, tasks, workerProcess, pairs, warmup,
        };
        load.SetAction(parse => handlers.Throughput(new LoadSettings(
            Cli.Cli.ValueOr(parse, transport, defaultTransports),
            Cli.Cli.ValueOr(parse, workload, defaultWorkloads),
            Cli.Cli.ValueOr(parse, concurrency, defaultConcurrencies),
            parse.GetValue(tasks),
            parse.Tokens.Skip(1).Select(token => token.Value).ToArray(),
            parse.GetValue(workerProcess),
            parse.GetValue(pairs),
            parse.GetValue(warmup))));

        var variant = Cli.Cli.NameList("--variant", ChildVariants, ["grpc"], "What the child runs");
        var address = new Option<string>("--address") { Description = "The engine's URI (gRPC) or TCP port (streams).", Required = true };
        var childConcurrency = Cli.Cli.AtLeast("--concurrency", 1, 64, "The worker's concurrency.");
        var childInline = new Option<bool>("--inline") { Description = "Register the no-op handler with ActivityOptions.RunInline." };
        var child = new Command("worker-child", "Internal: the child process of a --worker-process row; driven over stdin/stdout by the driver.")
        {
            variant, address, childConcurrency, childInline,
        };
        child.Hidden = true;
        child.SetAction(parse => (handlers.WorkerChild ?? WorkerChild.RunAsync)(new ChildSettings(
            Cli.Cli.ValueOr(parse, variant, ["grpc"])[0],
            parse.GetValue(address)!,
            parse.GetValue(childConcurrency),
            parse.GetValue(childInline))));

        var inflightTasks = Cli.Cli.AtLeast("--tasks", 1, 10_000, "Activities started and awaiting one signal.");
        var inflight = new Command("inflight", "Memory: bytes per in-flight activity (in-memory transport).") { inflightTasks };
        inflight.SetAction(parse => handlers.InFlight(parse.GetValue(inflightTasks)));

        var recoveryTasks = Cli.Cli.AtLeast("--tasks", 1, 10_000, "Unacked results before the drop.");
        var rounds = Cli.Cli.AtLeast("--rounds", 1, 5, "Rounds (one table row each).");
        var recovery = new Command("recovery", "Recovery: time from an error drop until every unacked result was replayed and acked (in-memory transport).")
        {
            recoveryTasks, rounds,
        };
        recovery.SetAction(parse => handlers.Recovery(parse.GetValue(recoveryTasks), parse.GetValue(rounds)));

        load.Subcommands.Add(inflight);
        load.Subcommands.Add(child);
        load.Subcommands.Add(recovery);
        return new RootCommand("Aion.Worker benchmarks: 'load …' runs the load driver; any other arguments go to BenchmarkDotNet (e.g. --filter *Codec* --job short).")
        {
            load,
        };
    }
}
