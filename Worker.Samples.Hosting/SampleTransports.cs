using Aion.Worker.Extensions.Hosting;

namespace Aion.Worker.Samples.Hosting;

internal static class SampleTransports
{
    /// <summary>Connects the hosted worker to a real engine at <paramref name="endpoint"/> over gRPC.</summary>
    public static void UseEndpoint(AionWorkerServiceBuilder worker, Uri endpoint) =>
        worker.ConfigureWorker((builder, _) => builder.UseGrpc(endpoint));
}
