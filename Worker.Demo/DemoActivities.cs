namespace Aion.Worker.Demo;

/// <summary>The demo's activities: a greeting, one that sometimes fails retryably, and one that reports progress.</summary>
internal static class DemoActivities
{
    public const string Greet = "demo.greet";
    public const string Flaky = "demo.flaky";
    public const string Progress = "demo.progress";

    public sealed record GreetInput(string Name);

    public sealed record GreetOutput(string Greeting);

    public sealed record FlakyInput(int Number);

    public sealed record FlakyOutput(int Number, bool Even);

    public sealed record ProgressInput(int Steps);

    public sealed record ProgressOutput(int Steps, string Status);

    public static AionWorkerBuilder AddDemoActivities(this AionWorkerBuilder builder) => builder
        .AddActivity<GreetInput, GreetOutput>(Greet, (input, _) => new GreetOutput($"Hello, {input.Name}!"))
        .AddActivity<FlakyInput, FlakyOutput>(Flaky, (input, context) =>
        {
            // Every seventh number fails on its first attempt; the engine decides whether to retry.
            if (input.Number % 7 == 0 && context.Attempt == 1)
            {
                throw new RetryableActivityException($"number {input.Number} is unlucky on attempt 1", new { input.Number });
            }

            return new FlakyOutput(input.Number, input.Number % 2 == 0);
        })
        .AddActivity<ProgressInput, ProgressOutput>(Progress, async (input, context) =>
        {
            for (var step = 1; step <= input.Steps; step++)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                await context.HeartbeatAsync(new { step, of = input.Steps }, context.CancellationToken);
                await Task.Yield();
            }

            return new ProgressOutput(input.Steps, "done");
        });
}
