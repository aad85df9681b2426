using System.Globalization;
using Aion.Worker.Internal;

namespace Aion.Worker.Pipeline;

/// <summary>The built-in fault injection, for your own chaos tests: end sessions, delay sends, lose acks — reproducibly.</summary>
/// <remarks>
/// Deterministic: every random choice comes from a <see cref="Random"/> seeded with <see cref="Seed"/>
/// and the connection's number, and every delay runs on the worker's <see cref="TimeProvider"/>, so
/// the same seed, the same frames and a fake clock give the same faults. An ended session fails
/// with <c>Unavailable</c>, which the worker treats as an error drop (budgeted, then redialled).
/// Never use it in production.
/// </remarks>
public sealed class FaultInjectionOptions
{
    /// <summary>The seed of the random choices.</summary>
    /// <value>Default 0.</value>
    public int Seed { get; set; }

    /// <summary>Ends each session once it carried this many frames (both ways, the registration and its ack included).</summary>
    /// <value>Default <see langword="null"/>: never; at least 1 when set.</value>
    public int? EndSessionAfterFrames { get; set; }

    /// <summary>The probability that any one frame (either way) ends the session instead of going through.</summary>
    /// <value>Default 0; between 0 and 1.</value>
    public double EndSessionProbability { get; set; }

    /// <summary>How long each send waits before it goes through.</summary>
    /// <value>Default zero; not negative.</value>
    public TimeSpan SendDelay { get; set; }

    /// <summary>The probability that a result ack from the engine is lost (the worker never sees it).</summary>
    /// <value>Default 0; between 0 and 1.</value>
    public double AckLossProbability { get; set; }

    /// <summary>Checks these options against every rule.</summary>
    /// <returns>One line per problem, naming the option, its rule and the value it had; empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new OptionProblems();
        if (EndSessionAfterFrames is { } frames)
        {
            problems.AtLeast(nameof(EndSessionAfterFrames), frames, 1);
        }

        Probability(problems, nameof(EndSessionProbability), EndSessionProbability);
        Probability(problems, nameof(AckLossProbability), AckLossProbability);
        problems.NotNegative(nameof(SendDelay), SendDelay);
        return problems.ToList();
    }

    private static void Probability(OptionProblems problems, string option, double value)
    {
        if (double.IsNaN(value) || value < 0 || value > 1)
        {
            problems.Add(option, string.Create(CultureInfo.InvariantCulture, $"must be between 0 and 1 (was {value})."));
        }
    }
}
