namespace Aion.Worker.Transport.InMemory;

/// <summary>Settings of an <see cref="InMemoryEngine"/>.</summary>
public sealed class InMemoryEngineOptions
{
    /// <summary>The heartbeat window acked to workers unless a script says otherwise.</summary>
    /// <value>Default 30 s, the real engine's default; zero disables liveness tracking.</value>
    public TimeSpan HeartbeatWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first automatic worker id.</summary>
    /// <value>Default 1; each accepted stream gets the next one.</value>
    public ulong FirstWorkerId { get; set; } = 1;

    /// <summary>How results are acked at first (see <see cref="InMemoryEngine.AckMode"/>).</summary>
    /// <value>Default <see cref="AckMode.Auto"/>.</value>
    public AckMode AckMode { get; set; } = AckMode.Auto;

    /// <summary>Whether every result and heartbeat is kept for inspection.</summary>
    /// <value>Default <see langword="true"/>; turn off for long load runs.</value>
    public bool RecordFrames { get; set; } = true;

    /// <summary>The clock stamped on received heartbeats.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
