using Aion.Worker.Transport;

namespace Aion.Worker.Internal.Reconnect;

/// <summary>An open session and the engine's ack of its registration.</summary>
internal readonly record struct EstablishedSession(IWorkerSession Session, WorkerRegistration Registration);
