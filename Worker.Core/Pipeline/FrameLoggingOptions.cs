using Microsoft.Extensions.Logging;

namespace Aion.Worker.Pipeline;

/// <summary>The built-in frame logging: one log line per frame each way (category <c>Aion.Worker.Frames</c>).</summary>
/// <remarks>
/// Each line names the direction, the frame's case, its ids and its payload size. The bearer token
/// is never logged (it travels in the connection's metadata, which this middleware does not see),
/// and payload bytes only with <see cref="IncludePayloads"/>.
/// </remarks>
public sealed class FrameLoggingOptions
{
    /// <summary>The level of each line.</summary>
    /// <value>Default <see cref="LogLevel.Debug"/>.</value>
    public LogLevel Level { get; set; } = LogLevel.Debug;

    /// <summary>Whether lines carry the payloads' bytes (as UTF-8 text, at most 1,024 bytes each).</summary>
    /// <value>Default <see langword="false"/>: payloads may hold personal or secret data.</value>
    public bool IncludePayloads { get; set; }

    /// <summary>Checks these options against every rule.</summary>
    /// <returns>One line per problem; empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new Internal.OptionProblems();
        if (!Enum.IsDefined(Level))
        {
            problems.Add(nameof(Level), $"must be a LogLevel (was {(int)Level}).");
        }

        return problems.ToList();
    }
}
