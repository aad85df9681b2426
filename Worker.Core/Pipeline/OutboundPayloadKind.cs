namespace Aion.Worker.Pipeline;

/// <summary>Which payload an <see cref="IOutboundStage"/> is transforming.</summary>
public enum OutboundPayloadKind
{
    /// <summary>The value an activity returned, encoded.</summary>
    Result,

    /// <summary>The details of an activity's failure, encoded.</summary>
    FailureDetails,

    /// <summary>The progress an activity reported with <see cref="ActivityContext.HeartbeatAsync{TProgress}(TProgress, CancellationToken)"/>, encoded.</summary>
    Progress,
}
