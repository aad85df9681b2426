using Aion.Worker;

namespace MyAionWorker1;

/// <summary>The input of <see cref="GreetActivity"/>, decoded from the engine's JSON.</summary>
public sealed record GreetRequest(string Name);

/// <summary>The result of <see cref="GreetActivity"/>, encoded as JSON for the engine.</summary>
public sealed record Greeting(string Message);

/// <summary>One typed activity. Created per execution from the host's services (a fresh scope each time).</summary>
public sealed class GreetActivity(TimeProvider time) : IActivity<GreetRequest, Greeting>
{
    /// <summary>The activity type the engine dispatches.</summary>
    public const string Type = "greet";

    /// <inheritdoc />
    public async Task<Greeting> ExecuteAsync(GreetRequest input, ActivityContext context)
    {
        if (string.IsNullOrWhiteSpace(input.Name))
        {
            // Retrying cannot fix bad input: report it TERMINAL, with details for the workflow.
            throw new TerminalActivityException("A name is required.", new { field = "name" });
        }

        // Progress the engine can show; the worker sends liveness heartbeats on its own.
        await context.HeartbeatAsync(new { step = "greeting", attempt = context.Attempt }, context.CancellationToken);

        // Stop when the engine cancels this activity or the worker shuts down.
        context.CancellationToken.ThrowIfCancellationRequested();
        return new Greeting($"Hello, {input.Name}! ({time.GetUtcNow():yyyy-MM-dd})");
    }
}
