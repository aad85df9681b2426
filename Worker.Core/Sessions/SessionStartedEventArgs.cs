namespace Aion.Worker;

/// <summary>A session was registered.</summary>
/// <param name="registration">The engine's ack.</param>
public sealed class SessionStartedEventArgs(WorkerRegistration registration) : EventArgs
{
    /// <summary>The engine's ack.</summary>
    public WorkerRegistration Registration { get; } = registration;
}
