using Microsoft.Extensions.Logging;

namespace Aion.Worker.Internal.Stages;

/// <summary>What the builder hands the worker for its stages: their definition, and what their factories get.</summary>
internal sealed record StageServicesAndLogging(PipelineDefinition Definition, ILoggerFactory LoggerFactory, IServiceProvider? Services);
