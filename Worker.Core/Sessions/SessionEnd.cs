namespace Aion.Worker;

/// <summary>How one session ended.</summary>
/// <param name="Kind">The class of the end.</param>
/// <param name="Error">The error, for <see cref="SessionEndKind.Error"/>, a drain that ended on an error, or a failed send during shutdown.</param>
/// <param name="Registration">The engine's ack, or <see langword="null"/> when registration did not complete.</param>
/// <param name="Healthy">Whether the session proved healthy (a live result sent, or connected longer than the max backoff); a healthy session resets the drop budget.</param>
/// <param name="ConnectedFor">From the RegisterAck to the end of the stream.</param>
public sealed record SessionEnd(SessionEndKind Kind, AionWorkerException? Error, WorkerRegistration? Registration, bool Healthy, TimeSpan ConnectedFor);
