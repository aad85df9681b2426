using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Transport.InMemory.Internal;

/// <summary>The engine adapter's log entries, with stable event ids.</summary>
internal static partial class StreamEngineLog
{
    public const string Category = "Aion.Worker.Transport.InMemory.StreamEngine";

    [LoggerMessage(101, LogLevel.Debug, "Stream engine accepted a connection from {Remote}")]
    public static partial void Accepted(ILogger logger, string remote);

    [LoggerMessage(102, LogLevel.Warning, "Stream engine refused a connection before serving it: {Status} {Detail}")]
    public static partial void Refused(ILogger logger, StatusCode status, string detail);

    [LoggerMessage(103, LogLevel.Debug, "Stream engine connection ended with {Status}: {Detail}")]
    public static partial void Ended(ILogger logger, StatusCode status, string detail);

    [LoggerMessage(104, LogLevel.Warning, "Stream engine: the worker broke the framing: {Problem}")]
    public static partial void Violation(ILogger logger, string problem);

    [LoggerMessage(105, LogLevel.Error, "Stream engine could not accept a connection")]
    public static partial void AcceptFailed(ILogger logger, Exception error);

    [LoggerMessage(106, LogLevel.Debug, "Stream engine could not write the end frame: {Reason}")]
    public static partial void EndNotWritten(ILogger logger, string reason);
}
