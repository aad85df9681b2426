using System.Security.Cryptography.X509Certificates;
using Aion.Worker;

namespace Snippets.Readme;

public static class Grpc
{
    public static AionWorker Build(AionWorkerOptions options)
    {
        #region grpc
        var worker = AionWorker.CreateBuilder(options)
            .AddActivity<ChargeRequest, Receipt>("billing.charge", ChargeAsync)
            .UseGrpc(new Uri("http://127.0.0.1:50051"), grpc => grpc.MaxReceiveMessageSize = 32 * 1024 * 1024) // the wire cap (default 64 MiB)
            .Build();
        #endregion
        return worker;
    }

    public static AionWorkerBuilder PrivateCa(AionWorkerBuilder worker, string password)
    {
        #region grpc-tls
        var ca = X509CertificateLoader.LoadCertificateFromFile("engine-ca.pem");
        worker.UseGrpc(new Uri("https://engine.internal:50051"), grpc =>
        {
            grpc.TrustedCertificates = [ca]; // the engine's chain must end at this CA
            grpc.ClientCertificate = X509CertificateLoader.LoadPkcs12FromFile("worker.pfx", password); // mutual TLS
        });
        #endregion
        return worker;
    }

    private static Task<Receipt> ChargeAsync(ChargeRequest request, ActivityContext context) =>
        Task.FromResult(new Receipt("r", request.Amount));
}
