using Aion.Worker.Extensions.Hosting;

namespace Aion.Worker.Samples.Hosting;

internal static class SampleTransports
{
    /// <summary>Connects the hosted worker to a real engine at <paramref name="endpoint"/>.</summary>
    public static void UseEndpoint(AionWorkerServiceBuilder worker, Uri endpoint) =>
        throw new NotSupportedException($"Serving a real engine at {endpoint} needs the gRPC transport (Aion.Worker.Transport.Grpc).");
}
