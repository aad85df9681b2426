using System.CommandLine;
using Aion.Worker.Cli;

namespace Aion.Worker.Benchmarks.Load;

/// <summary>The throughput run: every combination of transport, workload and concurrency.</summary>
/// <param name="Transports">The transports, in order.</param>
/// <param name="Workloads">The workloads, in order.</param>
/// <param name="Concurrencies">The concurrencies, in order.</param>
/// <param name="Tasks">Tasks per row; null for each row's default.</param>
/// <param name="Arguments">The arguments after <c>load</c>, echoed in the report's header.</param>
internal sealed record LoadSettings(string[] Transports, string[] Workloads, int[] Concurrencies, int? Tasks, string[] Arguments);

/// <summary>
/// The load driver's command line (<c>load …</c>), with the demo's conventions (<see cref="Cli"/>):
/// <c>--help</c>, every bad value reported with exit code 2 before anything runs. To add an option,
/// declare it here, add it to its command and carry its value into the settings.
/// </summary>
internal static class LoadCommand
{
    public static readonly string[] Transports = ["inmemory", "streams", "grpc", "grpc-raw"];

    public static readonly string[] Workloads = ["noop", "json"];

    /// <summary>The handlers the commands run; tests pass fakes.</summary>
    internal sealed record Handlers(
        Func<LoadSettings, Task<int>> Throughput,
        Func<int, Task<int>> InFlight,
        Func<int, int, Task<int>> Recovery);

    public static Handlers Real { get; } = new(LoadDriver.RunAsync, Scenarios.InFlightAsync, Scenarios.RecoveryAsync);

    /// <summary>Parses <c>load …</c> (<paramref name="args"/> starts with <c>load</c>) and runs it.</summary>
    public static Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error, Handlers? handlers = null) =>
        Cli.Cli.InvokeAsync(Create(handlers ?? Real), args, output, error);

    public static RootCommand Create(Handlers handlers)
    {
        string[] defaultTransports = ["inmemory"];
        string[] defaultWorkloads = ["noop", "json"];
        int[] defaultConcurrencies = [1, 64];
        var transport = Cli.Cli.NameList("--transport", Transports, defaultTransports, "Transports to drive");
        var workload = Cli.Cli.NameList("--workload", Workloads, defaultWorkloads, "Workloads, raw no-op or typed JSON echo");
        var concurrency = Cli.Cli.IntList("--concurrency", 1, defaultConcurrencies, "Worker concurrencies; 1 is ping-pong latency.");
        var tasks = Cli.Cli.OptionalAtLeast("--tasks", 1, "Tasks per row [default: per transport and concurrency, 20,000 to 1,000,000].");
        var load = new Command("load", "Throughput: pushes tasks through a worker and an engine in this process; one report row per transport, workload and concurrency.")
        {
            transport, workload, concurrency, tasks,
        };
        load.SetAction(parse => handlers.Throughput(new LoadSettings(
            Cli.Cli.ValueOr(parse, transport, defaultTransports),
            Cli.Cli.ValueOr(parse, workload, defaultWorkloads),
            Cli.Cli.ValueOr(parse, concurrency, defaultConcurrencies),
            parse.GetValue(tasks),
            parse.Tokens.Skip(1).Select(token => token.Value).ToArray())));

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
        load.Subcommands.Add(recovery);
        return new RootCommand("Aion.Worker benchmarks: 'load …' runs the load driver; any other arguments go to BenchmarkDotNet (e.g. --filter *Codec* --job short).")
        {
            load,
        };
    }
}
