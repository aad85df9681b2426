using Microsoft.Extensions.Logging;

namespace Aion.Worker.Pipeline;

/// <summary>What a session middleware factory gets: the stage context, and which session of the worker this is.</summary>
public sealed class SessionMiddlewareContext : PipelineStageContext
{
    internal SessionMiddlewareContext(string identity, TimeProvider timeProvider, ILoggerFactory loggerFactory, IServiceProvider? services, long connectionNumber)
        : base(identity, timeProvider, loggerFactory, services) => ConnectionNumber = connectionNumber;

    /// <summary>The one-based number of this connection among those the worker opened (or was given), counting failed registrations.</summary>
    public long ConnectionNumber { get; }
}
