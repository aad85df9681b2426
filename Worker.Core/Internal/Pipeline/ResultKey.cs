namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// The engine's key of a result: (workflow id, sequence position). The hash is computed once, when
/// the key is made (at execution creation; once per ack), and carried: the in-flight table, the
/// tracker and the acks never rehash the workflow id. Equality compares the hash, the position, then
/// the workflow id (the same string instance first, the ordinal comparison only when they differ).
/// </summary>
internal readonly struct ResultKey : IEquatable<ResultKey>, IComparable<ResultKey>
{
    private readonly int _hash;

    public ResultKey(string workflowId, ulong position)
    {
        WorkflowId = workflowId;
        Position = position;
        _hash = HashCode.Combine(StringComparer.Ordinal.GetHashCode(workflowId), position);
    }

    public string WorkflowId { get; }
    public ulong Position { get; }

    public bool Equals(ResultKey other) =>
        _hash == other._hash && Position == other.Position
        && (ReferenceEquals(WorkflowId, other.WorkflowId) || string.Equals(WorkflowId, other.WorkflowId, StringComparison.Ordinal));

    public override bool Equals(object? obj) => obj is ResultKey other && Equals(other);

    public override int GetHashCode() => _hash;

    public int CompareTo(ResultKey other)
    {
        var byWorkflow = string.CompareOrdinal(WorkflowId, other.WorkflowId);
        return byWorkflow != 0 ? byWorkflow : Position.CompareTo(other.Position);
    }

    public static bool operator ==(ResultKey left, ResultKey right) => left.Equals(right);

    public static bool operator !=(ResultKey left, ResultKey right) => !left.Equals(right);

    public override string ToString() => $"{WorkflowId}/{Position}";
}

/// <summary>The key of one running execution: (workflow id, sequence position, attempt), over a <see cref="Pipeline.ResultKey"/> and its carried hash.</summary>
internal readonly struct ExecutionKey : IEquatable<ExecutionKey>
{
    public ExecutionKey(string workflowId, ulong position, uint attempt)
        : this(new ResultKey(workflowId, position), attempt)
    {
    }

    public ExecutionKey(ResultKey resultKey, uint attempt)
    {
        ResultKey = resultKey;
        Attempt = attempt;
    }

    public ResultKey ResultKey { get; }
    public uint Attempt { get; }
    public string WorkflowId => ResultKey.WorkflowId;
    public ulong Position => ResultKey.Position;

    public bool Equals(ExecutionKey other) => Attempt == other.Attempt && ResultKey.Equals(other.ResultKey);

    public override bool Equals(object? obj) => obj is ExecutionKey other && Equals(other);

    public override int GetHashCode() => ResultKey.GetHashCode() ^ (int)(Attempt * 0x9E3779B1u);

    public static bool operator ==(ExecutionKey left, ExecutionKey right) => left.Equals(right);

    public static bool operator !=(ExecutionKey left, ExecutionKey right) => !left.Equals(right);

    public override string ToString() => $"{WorkflowId}/{Position}#{Attempt}";
}
