using Aion.Worker.Demo;

// The README's main job: an embedded in-memory engine, a worker with the demo activities,
// 10,000 tasks, progress and a summary. Exit code 0 when every task was reported, 2 for a bad
// command line (see --help). With --endpoint <url> the same activities serve a real Aion engine
// over gRPC until Ctrl+C.
return await DemoCli.InvokeAsync(args, Console.Out, Console.Error, DemoRun.InMemoryAsync, DemoRun.ServeAsync);
