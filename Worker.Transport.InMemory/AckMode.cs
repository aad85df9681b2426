namespace Aion.Worker.Transport.InMemory;

/// <summary>How the <see cref="InMemoryEngine"/> acknowledges results.</summary>
public enum AckMode
{
    /// <summary>Ack every result at once on the session it arrived on (the real engine).</summary>
    Auto,

    /// <summary>Hold acks until <see cref="EngineSession.AckPending"/> is called.</summary>
    Withhold,

    /// <summary>Never ack (as if every ack were lost).</summary>
    Drop,
}
