namespace Aion.Worker.Transport.Streams;

/// <summary>The kind byte of a stream frame (the fifth byte of its header; see <see cref="StreamFraming"/>).</summary>
public enum StreamFrameKind : byte
{
    /// <summary>Worker → engine, exactly once, first: the session metadata (version, namespaces, subject, bearer token).</summary>
    Hello = 0x01,

    /// <summary>Both ways: one protobuf <c>WorkerToServer</c> (worker → engine) or <c>ServerToWorker</c> (engine → worker).</summary>
    Message = 0x02,

    /// <summary>Engine → worker, last: how the call ended (a gRPC status code and its message).</summary>
    End = 0x03,

    /// <summary>Worker → engine, last, empty: the worker writes nothing more (its half-close).</summary>
    Close = 0x04,
}
