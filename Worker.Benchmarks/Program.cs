using Aion.Worker.Benchmarks.Load;
using BenchmarkDotNet.Running;

// `load …` runs the load driver; anything else goes to BenchmarkDotNet (e.g. `--filter *Codec* --job short`).
if (args.Length > 0 && args[0] == "load")
{
    return await LoadCommand.InvokeAsync(args, Console.Out, Console.Error);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
