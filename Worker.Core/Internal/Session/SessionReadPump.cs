using System.Threading.Channels;
using Aion.Worker.Diagnostics;
using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;

namespace Aion.Worker.Internal.Session;

/// <summary>
/// Reads the session eagerly: receive → validate → apply or enqueue. Acks and drains are applied as
/// they are read (tracker, drain latch), never queued behind tasks; a valid task is admitted to the
/// in-flight table and queued on the run's inbound channel, which holds reading while it is full.
/// A malformed frame ends the session as a decode error; the end of the stream ends it too.
/// </summary>
internal sealed class SessionReadPump(SessionAdapter session, WorkerRuntime runtime, WorkerPipeline pipeline)
{
    public async Task RunAsync()
    {
        var transport = session.Transport;
        var sessionEnd = session.EndToken;
        try
        {
            while (true)
            {
                if (!transport.TryReceive(out var frame))
                {
                    frame = await transport.ReceiveAsync(sessionEnd).ConfigureAwait(false);
                }

                if (Apply(frame) is not { } task)
                {
                    if (session.IsEnded)
                    {
                        return;
                    }

                    continue;
                }

                await AcceptAsync(task).ConfigureAwait(false);
            }
        }
        catch (Exception) when (sessionEnd.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            session.EndWith(ex);
        }
    }

    /// <summary>Applies cancel requests from the transport to the matching queued or running executions.</summary>
    public static async Task ApplyCancelRequestsAsync(ChannelReader<ActivityCancelRequest> requests, WorkerRuntime runtime, CancellationToken sessionEnd)
    {
        try
        {
            await foreach (var request in requests.ReadAllAsync(sessionEnd).ConfigureAwait(false))
            {
                runtime.InFlight.CancelMatching(request);
            }
        }
        catch (Exception) when (sessionEnd.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
    }

    /// <summary>Validates one frame and applies it; returns a valid task to queue, or <see langword="null"/> (the frame was applied, or it ended the session).</summary>
    private ActivityTask? Apply(in InboundFrame received)
    {
        if (received.IsEndOfStream)
        {
            session.EndOfStream();
            return null;
        }

        if (FrameValidator.Decode(received, out var undecodable) is not { } frame)
        {
            session.DecodeError(undecodable!);
            return null;
        }

        switch (frame.MessageCase)
        {
            case ServerToWorker.MessageOneofCase.Task:
                if (FrameValidator.TaskProblem(frame.Task) is { } taskProblem)
                {
                    session.DecodeError(taskProblem);
                    return null;
                }

                return frame.Task;
            case ServerToWorker.MessageOneofCase.ResultAck:
                var ack = frame.ResultAck;
                if (FrameValidator.AckProblem(ack) is { } ackProblem)
                {
                    session.DecodeError(ackProblem);
                    return null;
                }

                var outcome = runtime.Tracker.TryAck(new ResultKey(ack.WorkflowId.Uuid, ack.ActivityId.SequencePosition), session.Id);
                session.OnAck(removed: outcome == AckOutcome.Removed);
                return null;
            case ServerToWorker.MessageOneofCase.Drain:
                session.OnDrain();
                return null;
            case ServerToWorker.MessageOneofCase.RegisterAck:
                session.DecodeError("a second RegisterAck");
                return null;
            default:
                if (FrameValidator.UnknownFrameProblem(frame, out var size) is { } unknownProblem)
                {
                    session.DecodeError(unknownProblem);
                    return null;
                }

                runtime.Log.UnknownFrameSkipped(runtime.Settings.Identity, session.Id, size);
                return null;
        }
    }

    /// <summary>Admits a task to the in-flight table and queues it for the dispatcher, waiting while the queue is full.</summary>
    private async ValueTask AcceptAsync(ActivityTask task)
    {
        var execution = runtime.CreateExecution(task, session.Registration.HeartbeatWindow, session.Id);
        runtime.Telemetry.TasksReceived.Add(1, runtime.IdentityTag, new KeyValuePair<string, object?>(AionWorkerDiagnostics.Tags.ActivityType, task.ActivityType));
        if (!runtime.InFlight.TryAdmit(execution))
        {
            runtime.Log.DuplicateDispatch(execution.Key.WorkflowId, execution.Key.Position, execution.Key.Attempt);
            return;
        }

        try
        {
            await pipeline.Inbound.EnqueueAsync(execution, session.EndToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The session ended while the queue was full: the task was never started.
            runtime.InFlight.Discard(execution);
            throw;
        }

        pipeline.Wake();
    }
}
