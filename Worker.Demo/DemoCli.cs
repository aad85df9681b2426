using System.CommandLine;
using Aion.Worker.Cli;

namespace Aion.Worker.Demo;

/// <summary>The embedded-engine run: how many tasks, how many at once.</summary>
internal sealed record DemoSettings(int Tasks, int Concurrency);

/// <summary>Serving a real engine over gRPC.</summary>
internal sealed record ServeSettings(Uri Endpoint, IReadOnlyList<string>? Namespaces, string TaskQueue, string? Token, int Concurrency);

/// <summary>The demo's command line: options, validation, and which run they select.</summary>
internal static class DemoCli
{
    /// <summary>Parses <paramref name="args"/> and runs the selected mode; bad values exit with 2 before anything runs.</summary>
    public static Task<int> InvokeAsync(
        string[] args,
        TextWriter output,
        TextWriter error,
        Func<DemoSettings, Task<int>> runInMemory,
        Func<ServeSettings, Task<int>> serve) =>
        Cli.Cli.InvokeAsync(Create(runInMemory, serve), args, output, error);

    public static RootCommand Create(Func<DemoSettings, Task<int>> runInMemory, Func<ServeSettings, Task<int>> serve)
    {
        var tasks = Cli.Cli.AtLeast("--tasks", 1, 10_000, "Tasks to run on the embedded in-memory engine.");
        var concurrency = Cli.Cli.AtLeast("--concurrency", 1, 32, "Activities that run at once.");
        var endpoint = new Option<Uri>("--endpoint")
        {
            Description = "Serve a real Aion engine at this http:// or https:// URI over gRPC (until Ctrl+C) instead of the embedded engine.",
            HelpName = "uri",
            CustomParser = result =>
            {
                var text = result.Tokens.Single().Value;
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
                {
                    return uri;
                }

                result.AddError($"--endpoint must be an absolute http:// or https:// URI (was '{text}').");
                return null;
            },
        };
        var namespaces = new Option<string>("--namespace")
        {
            Description = "With --endpoint: the namespaces to serve, comma-separated [default: default].",
            HelpName = "ns[,ns…]",
        };
        var taskQueue = new Option<string>("--task-queue")
        {
            Description = "With --endpoint: the task queue.",
            HelpName = "name",
            DefaultValueFactory = _ => "demo",
        };
        var token = new Option<string>("--token")
        {
            Description = "With --endpoint: a bearer token for the engine.",
            HelpName = "bearer",
        };

        var root = new RootCommand(
            "The Aion.Worker demo: the demo activities on an embedded in-memory engine (tasks, live progress, a summary; exit code 0 when every task was reported), or serving a real engine with --endpoint.")
        {
            tasks, concurrency, endpoint, namespaces, taskQueue, token,
        };
        root.Validators.Add(result =>
        {
            var serving = result.GetResult(endpoint) is { Implicit: false };
            foreach (var option in new Option[] { namespaces, taskQueue, token })
            {
                if (!serving && result.GetResult(option) is { Implicit: false })
                {
                    result.AddError($"{option.Name} only applies with --endpoint.");
                }
            }

            if (serving && result.GetResult(tasks) is { Implicit: false })
            {
                result.AddError("--tasks only applies to the embedded engine, not with --endpoint (the engine pushes the tasks).");
            }
        });
        root.SetAction(async parse =>
        {
            if (parse.GetValue(endpoint) is { } uri)
            {
                var ns = parse.GetValue(namespaces);
                return await serve(new ServeSettings(
                    uri,
                    ns is null ? null : ns.Split(',', StringSplitOptions.TrimEntries),
                    parse.GetValue(taskQueue)!,
                    parse.GetValue(token),
                    parse.GetValue(concurrency)));
            }

            return await runInMemory(new DemoSettings(parse.GetValue(tasks), parse.GetValue(concurrency)));
        });
        return root;
    }
}
