namespace Aion.Worker.Internal.Pipeline;

/// <summary>The engine's key of a result: (workflow id, sequence position).</summary>
internal readonly record struct ResultKey(string WorkflowId, ulong Position) : IComparable<ResultKey>
{
    public int CompareTo(ResultKey other)
    {
        var byWorkflow = string.CompareOrdinal(WorkflowId, other.WorkflowId);
        return byWorkflow != 0 ? byWorkflow : Position.CompareTo(other.Position);
    }

    public override string ToString() => $"{WorkflowId}/{Position}";
}

/// <summary>The key of one running execution: (workflow id, sequence position, attempt).</summary>
internal readonly record struct ExecutionKey(string WorkflowId, ulong Position, uint Attempt)
{
    public ResultKey ResultKey => new(WorkflowId, Position);

    public override string ToString() => $"{WorkflowId}/{Position}#{Attempt}";
}
