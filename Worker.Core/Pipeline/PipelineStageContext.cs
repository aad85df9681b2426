using Microsoft.Extensions.Logging;

namespace Aion.Worker.Pipeline;

/// <summary>What a stage factory gets: the worker's identity, clock, logging and, when hosted, the root services.</summary>
public class PipelineStageContext
{
    internal PipelineStageContext(string identity, TimeProvider timeProvider, ILoggerFactory loggerFactory, IServiceProvider? services)
    {
        Identity = identity;
        TimeProvider = timeProvider;
        LoggerFactory = loggerFactory;
        Services = services;
    }

    /// <summary>The worker's identity.</summary>
    public string Identity { get; }

    /// <summary>The worker's clock: use it for every delay and timer (a fake one in tests).</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The worker's logger factory.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The host's root service provider when the worker is hosted; otherwise <see langword="null"/>.</summary>
    public IServiceProvider? Services { get; }
}
