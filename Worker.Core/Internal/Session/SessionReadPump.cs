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
        var tasksInBatch = 0;
        try
        {
            while (true)
            {
                if (!transport.TryReceive(out var frame))
                {
                    tasksInBatch = 0;
                    session.ReadingBatch = false;
                    frame = await transport.ReceiveAsync(sessionEnd).ConfigureAwait(false);
                }

                if (Apply(frame, out var rejection) is not { } task)
                {
                    if (session.IsEnded)
                    {
                        return;
                    }

                    continue;
                }

                // From the second task of frames read back to back, more results are coming at once: the write pump batches them.
                session.ReadingBatch = tasksInBatch++ > 0;
                await AcceptAsync(task, rejection).ConfigureAwait(false);
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

    /// <summary>
    /// Validates one frame and applies it; returns a task to queue, or <see langword="null"/> (the frame
    /// was applied, or it ended the session). A task with a <paramref name="rejection"/> is not run but
    /// reported TERMINAL with it: one bad task costs one result, not the session.
    /// </summary>
    private ActivityTask? Apply(in InboundFrame received, out string? rejection)
    {
        rejection = null;
        if (received.IsEndOfStream)
        {
            session.EndOfStream();
            return null;
        }

        if (FrameValidator.Decode(received, out var undecodable, out var idsOnly) is not { } frame)
        {
            if (idsOnly is not null)
            {
                rejection = undecodable;
                runtime.Log.TaskRejected(idsOnly.WorkflowId.Uuid, idsOnly.ActivityId.SequencePosition, idsOnly.Attempt, received.Size, undecodable!);
                return idsOnly;
            }

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

                var task = frame.Task;
                var maxInput = runtime.Settings.MaxTaskInputSize;
                if (task.Input.Bytes.Length > maxInput)
                {
                    rejection = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"input of {task.Input.Bytes.Length} bytes exceeds the limit of {maxInput} (MaxTaskInputSize)");
                    runtime.Log.TaskRejected(task.WorkflowId.Uuid, task.ActivityId.SequencePosition, task.Attempt, task.CalculateSize(), rejection);
                }

                return task;
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

    /// <summary>Admits a task to the in-flight table and queues it, waiting while the queue is full, then starts it if a slot is free.</summary>
    private async ValueTask AcceptAsync(ActivityTask task, string? rejection)
    {
        var execution = runtime.CreateExecution(task, session.Registration, session.Id, pipeline.Stages, rejection);
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

        // Started here when a slot is free (no dispatcher wake-up); else by the next finishing activity or the dispatcher.
        pipeline.Starter.AfterEnqueue(session);
    }
}
