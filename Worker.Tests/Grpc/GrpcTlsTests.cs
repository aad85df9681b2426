using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.Grpc;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Aion.Worker.Tests.Grpc;

/// <summary>
/// TLS over the real gRPC transport: Kestrel serves https with certificates made in the test
/// (<see cref="TestCertificates"/>). A trusted engine round-trips, an engine whose certificate fails
/// validation ends the run after one try with a certificate error, mutual TLS presents the client
/// certificate.
/// </summary>
public sealed class GrpcTlsTests
{
    private static X509Certificate2 _authority = null!;
    private static X509Certificate2 _server = null!;

    [OneTimeSetUp]
    public void CreateCertificates()
    {
        _authority = TestCertificates.CreateAuthority();
        _server = TestCertificates.CreateServer(_authority);
    }

    [OneTimeTearDown]
    public void DisposeCertificates()
    {
        _server.Dispose();
        _authority.Dispose();
    }

    private static void Echo(AionWorkerBuilder builder) => builder.AddActivity<int, int>("test.double", (value, _) => value * 2);

    /// <summary>TLS settings that count the handshakes the server starts (one per connection the worker opens).</summary>
    private static HttpsConnectionAdapterOptions Https(X509Certificate2 certificate, StrongBox<int> handshakes) => new()
    {
        ServerCertificate = certificate,
        OnAuthenticate = (_, _) => Interlocked.Increment(ref handshakes.Value),
    };

    [Test]
    public async Task Https_with_the_engine_certificate_trusted_through_TrustedCertificates_round_trips_and_the_bearer_token_travels()
    {
        var handshakes = new StrongBox<int>();
        await using var harness = await GrpcHarness.CreateAsync(
            Echo,
            options => options.BearerToken = "tls-token-1",
            transport => transport.TrustedCertificates = [_authority],
            https: Https(_server, handshakes));
        Assert.That(harness.Host.Uri.Scheme, Is.EqualTo("https"));

        await harness.StartAndRegisterAsync();
        var result = await harness.Engine.Dispatch("test.double", 21).Result.Within();

        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("42"));
        Assert.That(harness.Host.RequestHeaders.Single().GetValue("authorization"), Is.EqualTo("Bearer tls-token-1"));
        Assert.That(handshakes.Value, Is.EqualTo(1));
        await harness.StopAsync();
    }

    public static IEnumerable<TestCaseData> RejectedCertificates()
    {
        yield return new TestCaseData("untrusted", false, "not trusted").SetName("An_engine_certificate_from_an_unknown_CA_fails_the_run_after_one_try_naming_the_certificate_problem");
        yield return new TestCaseData("other-ca", true, "does not lead to a certificate in GrpcTransportOptions.TrustedCertificates").SetName("An_engine_certificate_outside_the_custom_trust_store_fails_the_run_after_one_try");
        yield return new TestCaseData("wrong-name", true, "RemoteCertificateNameMismatch").SetName("An_engine_certificate_for_another_host_fails_the_run_after_one_try_naming_the_name_mismatch");
        yield return new TestCaseData("expired", true, "NotTimeValid").SetName("An_expired_engine_certificate_fails_the_run_after_one_try_naming_the_expiry");
    }

    [TestCaseSource(nameof(RejectedCertificates))]
    public async Task A_rejected_engine_certificate_is_final_also_when_the_first_connect_retries_forever(string kind, bool trustStore, string problem)
    {
        using var otherAuthority = TestCertificates.CreateAuthority("Some Other CA");
        using var certificate = kind switch
        {
            "wrong-name" => TestCertificates.CreateServer(_authority, dnsNames: ["engine.example"], ipAddresses: [IPAddress.Parse("10.1.2.3")]),
            "expired" => TestCertificates.CreateServer(_authority, notAfter: DateTimeOffset.UtcNow.AddDays(-1)),
            _ => TestCertificates.CreateServer(_authority),
        };
        var handshakes = new StrongBox<int>();
        await using var harness = await GrpcHarness.CreateAsync(
            Echo,
            options =>
            {
                options.Reconnect.RetryFirstConnectForever = true;
                options.Reconnect.MaxAttempts = 3;
            },
            transport =>
            {
                if (trustStore)
                {
                    transport.TrustedCertificates = [kind == "other-ca" ? otherAuthority : _authority];
                }
            },
            https: Https(certificate, handshakes));

        harness.Start();
        var error = await harness.RunFailureAsync();

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Certificate));
        Assert.That(error.IsRetryable, Is.False);
        Assert.That(error.Message, Does.Contain("TLS certificate").And.Contain(problem).And.Contain(certificate.Subject));
        Assert.That(error.Message, Does.Not.Contain("The engine ended the call"));
        Assert.That(handshakes.Value, Is.EqualTo(1), "one try: retrying cannot fix a trust problem");
        Assert.That(harness.Engine.ConnectAttempts, Is.Zero, "no call reached the engine");
        Assert.That(harness.Logs.GetSnapshot().Where(e => e.Id.Id == 5), Is.Empty, "no establishment retry was logged");
    }

    [Test]
    public async Task Mutual_tls_presents_the_client_certificate_and_round_trips()
    {
        using var client = TestCertificates.CreateClient(_authority);
        string? seenClient = null;
        var handshakes = new StrongBox<int>();
        var https = Https(_server, handshakes);
        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
        https.ClientCertificateValidation = (certificate, _, _) =>
        {
            seenClient = certificate.Subject;
            return TestCertificates.IsIssuedBy(certificate, _authority);
        };
        await using var harness = await GrpcHarness.CreateAsync(
            Echo,
            options => options.BearerToken = "mtls-token",
            transport =>
            {
                transport.TrustedCertificates = [_authority];
                transport.ClientCertificate = client;
            },
            https: https);

        await harness.StartAndRegisterAsync();
        var result = await harness.Engine.Dispatch("test.double", 4).Result.Within();

        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("8"));
        Assert.That(seenClient, Is.EqualTo(client.Subject));
        Assert.That(harness.Host.RequestHeaders.Single().GetValue("authorization"), Is.EqualTo("Bearer mtls-token"));
        await harness.StopAsync();
    }

    [Test]
    public async Task Mutual_tls_without_a_client_certificate_is_a_retryable_connection_error_not_a_certificate_error()
    {
        var handshakes = new StrongBox<int>();
        var https = Https(_server, handshakes);
        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
        await using var harness = await GrpcHarness.CreateAsync(
            Echo,
            options => options.Reconnect.MaxAttempts = 2,
            transport => transport.TrustedCertificates = [_authority],
            https: https);

        harness.Start();
        var error = await harness.RunFailureAsync();

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Connection));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(error.Message, Does.StartWith($"Could not connect to the engine at {harness.Host.Uri}"));
        Assert.That(handshakes.Value, Is.EqualTo(2), "retried up to MaxAttempts");
    }
}
