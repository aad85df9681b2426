using System.Text.Json;
using Aion.Worker;
using Aion.Worker.Protocol;
using Aion.Worker.Transport.InMemory;

namespace MyAionWorker1.Tests;

/// <summary>The activity on its own: no engine, the outcome exactly as the worker would report it.</summary>
public sealed class GreetActivityTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static ActivityTestEnvironment Environment() => new ActivityTestEnvironment()
        .AddActivity(GreetActivity.Type, () => new GreetActivity(new FixedTime(Now)));

    [Test]
    public async Task Greets_by_name_and_reports_progress()
    {
        var result = await Environment().RunAsync(GreetActivity.Type, new GreetRequest("Aion"), new DispatchOptions { Attempt = 2 });

        Assert.That(result.GetOutput<Greeting>(), Is.EqualTo(new Greeting("Hello, Aion! (2030-01-02)")));
        var progress = result.Heartbeats.Single().GetProgress<JsonElement>();
        Assert.That(progress.GetProperty("attempt").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public async Task A_missing_name_is_terminal()
    {
        var result = await Environment().RunAsync(GreetActivity.Type, new GreetRequest(""));

        var failure = result.GetFailure();
        Assert.That(failure.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(failure.Message, Is.EqualTo("A name is required."));
    }

    [Test]
    public async Task Null_input_is_terminal_before_the_activity_runs()
    {
        var result = await Environment().RunAsync<GreetRequest?>(GreetActivity.Type, null);

        Assert.That(result.GetFailure().Kind, Is.EqualTo(ActivityErrorKind.Terminal));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
