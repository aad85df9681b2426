namespace Aion.Worker.Transport.InMemory;

/// <summary>The kinds of <see cref="ConnectionScript"/>.</summary>
public enum ConnectionScriptKind
{
    /// <summary>Ack the registration.</summary>
    Accept,

    /// <summary>Fail the connect.</summary>
    FailConnect,

    /// <summary>End the call with a status after reading the registration.</summary>
    Refuse,

    /// <summary>Never ack.</summary>
    NeverAck,

    /// <summary>Send a non-ack first frame.</summary>
    SendFirst,
}
