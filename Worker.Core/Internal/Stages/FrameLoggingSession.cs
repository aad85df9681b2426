using System.Globalization;
using Aion.Worker.Pipeline;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Internal.Stages;

/// <summary>
/// The built-in frame logging middleware: one line per frame each way (direction, case, ids,
/// payload size). The bearer token travels in the connection's metadata and is never seen here;
/// payload bytes are logged only when asked, and then at most 1,024 of them.
/// </summary>
internal sealed partial class FrameLoggingSession : DelegatingWorkerSession
{
    private const int MaxPayloadBytes = 1024;
    private readonly ILogger _logger;
    private readonly LogLevel _level;
    private readonly bool _payloads;
    private readonly long _connection;

    public FrameLoggingSession(IWorkerSession inner, SessionMiddlewareContext context, LogLevel level, bool payloads)
        : base(inner)
    {
        _logger = context.LoggerFactory.CreateLogger("Aion.Worker.Frames");
        _level = level;
        _payloads = payloads;
        _connection = context.ConnectionNumber;
    }

    public override ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
    {
        if (_logger.IsEnabled(_level))
        {
            var (kind, ids, payload) = Describe(frame);
            Log(kind, ids, payload, "sent");
        }

        return base.SendAsync(frame, cancellationToken);
    }

    public override bool TryReceive(out InboundFrame frame)
    {
        if (!base.TryReceive(out frame))
        {
            return false;
        }

        LogReceived(frame);
        return true;
    }

    public override async ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken)
    {
        var frame = await base.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        LogReceived(frame);
        return frame;
    }

    public override ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_logger.IsEnabled(_level))
        {
            FrameLogged(_logger, _level, _connection, "sent", "close", string.Empty, 0, string.Empty);
        }

        return base.CompleteAsync(cancellationToken);
    }

    private void LogReceived(in InboundFrame frame)
    {
        if (!_logger.IsEnabled(_level))
        {
            return;
        }

        switch (frame.Kind)
        {
            case InboundFrameKind.Message:
                var (kind, ids, payload) = Describe(frame.Message!);
                Log(kind, ids, payload, "received");
                break;
            case InboundFrameKind.Undecodable:
                FrameLogged(_logger, _level, _connection, "received", "undecodable", string.Empty, frame.Size, string.Empty);
                break;
            default:
                FrameLogged(_logger, _level, _connection, "received", "end of stream", string.Empty, 0, string.Empty);
                break;
        }
    }

    private void Log(string kind, string ids, Payload? payload, string direction)
    {
        var size = payload?.Bytes.Length ?? 0;
        var text = _payloads && payload is not null ? Text(payload) : string.Empty;
        FrameLogged(_logger, _level, _connection, direction, kind, ids, size, text);
    }

    private static string Text(Payload payload)
    {
        var bytes = payload.Bytes.Span;
        var shown = bytes.Length > MaxPayloadBytes ? bytes[..MaxPayloadBytes] : bytes;
        var text = System.Text.Encoding.UTF8.GetString(shown);
        return bytes.Length > MaxPayloadBytes ? text + "…" : text;
    }

    private static string Ids(WorkflowId? workflow, ActivityId? activity) =>
        string.Create(CultureInfo.InvariantCulture, $"{workflow?.Uuid}/{activity?.SequencePosition}");

    private static (string Kind, string Ids, Payload? Payload) Describe(WorkerToServer frame) => frame.MessageCase switch
    {
        WorkerToServer.MessageOneofCase.Register => ("register", $"queue {frame.Register.TaskQueue}, {frame.Register.ActivityTypes.Count} types", null),
        WorkerToServer.MessageOneofCase.Result when frame.Result.OutcomeCase == ActivityResult.OutcomeOneofCase.Error =>
            ("result " + frame.Result.Error.Kind.ToString().ToLowerInvariant(), Ids(frame.Result.WorkflowId, frame.Result.ActivityId), frame.Result.Error.Details),
        WorkerToServer.MessageOneofCase.Result => ("result", Ids(frame.Result.WorkflowId, frame.Result.ActivityId), frame.Result.Result),
        WorkerToServer.MessageOneofCase.Heartbeat => (frame.Heartbeat.Progress is null ? "heartbeat" : "progress", Ids(frame.Heartbeat.WorkflowId, frame.Heartbeat.ActivityId), frame.Heartbeat.Progress),
        _ => (frame.MessageCase.ToString(), string.Empty, null),
    };

    private static (string Kind, string Ids, Payload? Payload) Describe(ServerToWorker frame) => frame.MessageCase switch
    {
        ServerToWorker.MessageOneofCase.RegisterAck => ("register ack", string.Create(CultureInfo.InvariantCulture, $"worker {frame.RegisterAck.WorkerId}"), null),
        ServerToWorker.MessageOneofCase.Task => ("task " + frame.Task.ActivityType, string.Create(CultureInfo.InvariantCulture, $"{Ids(frame.Task.WorkflowId, frame.Task.ActivityId)} attempt {frame.Task.Attempt}"), frame.Task.Input),
        ServerToWorker.MessageOneofCase.ResultAck => ("result ack", Ids(frame.ResultAck.WorkflowId, frame.ResultAck.ActivityId), null),
        ServerToWorker.MessageOneofCase.Drain => ("drain", string.Empty, null),
        _ => ("unknown", string.Empty, null),
    };

    [LoggerMessage(EventId = 50, Message = "Connection {Connection} {Direction} {Kind} {Ids} ({PayloadBytes} payload bytes) {Payload}")]
    private static partial void FrameLogged(ILogger logger, LogLevel level, long connection, string direction, string kind, string ids, int payloadBytes, string payload);
}
