using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Aion.Worker.Tests.Support;

/// <summary>
/// Certificates made in the test process with <see cref="CertificateRequest"/>: a CA, server
/// certificates it signs (SAN 127.0.0.1 and localhost by default), and client certificates for
/// mutual TLS. ECDSA P-256 keys: fast to create. Every certificate with a private key is exported to
/// PKCS#12 and loaded again, so SslStream can use its key on every platform (ephemeral keys cannot
/// always be used for a TLS handshake).
/// </summary>
public static class TestCertificates
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>A self-signed certificate authority valid from ten days ago to ten days from now.</summary>
    public static X509Certificate2 CreateAuthority(string name = "Aion Test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using var authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(10));
        return Reload(authority);
    }

    /// <summary>A server certificate signed by <paramref name="authority"/>.</summary>
    /// <param name="authority">The issuing CA (with its private key).</param>
    /// <param name="dnsNames">The DNS names in the SAN; default <c>localhost</c>.</param>
    /// <param name="ipAddresses">The IP addresses in the SAN; default 127.0.0.1.</param>
    /// <param name="notAfter">The end of validity; default a day from now (a past time makes an expired certificate).</param>
    public static X509Certificate2 CreateServer(X509Certificate2 authority, string[]? dnsNames = null, IPAddress[]? ipAddresses = null, DateTimeOffset? notAfter = null)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames ?? ["localhost"])
        {
            san.AddDnsName(name);
        }

        foreach (var address in ipAddresses ?? [IPAddress.Loopback])
        {
            san.AddIpAddress(address);
        }

        var end = notAfter ?? DateTimeOffset.UtcNow.AddDays(1);
        return CreateLeaf(authority, (dnsNames ?? ["localhost"]).FirstOrDefault() ?? "server", ServerAuth, san.Build(), end.AddDays(-2), end);
    }

    /// <summary>A client certificate (for mutual TLS) signed by <paramref name="authority"/>.</summary>
    public static X509Certificate2 CreateClient(X509Certificate2 authority, string name = "aion-test-worker") =>
        CreateLeaf(authority, name, ClientAuth, null, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="authority"/> alone (no system roots), as a server checks a client certificate.</summary>
    public static bool IsIssuedBy(X509Certificate2 certificate, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static X509Certificate2 CreateLeaf(X509Certificate2 authority, string name, string usage, X509Extension? san, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        // The issuer's validity must cover the leaf's: clamp to it (an expired leaf keeps its past end).
        var start = notBefore < authority.NotBefore.ToUniversalTime() ? new DateTimeOffset(authority.NotBefore.ToUniversalTime()) : notBefore;
        var end = notAfter > authority.NotAfter.ToUniversalTime() ? new DateTimeOffset(authority.NotAfter.ToUniversalTime()) : notAfter;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(authority, start, end, serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        return Reload(withKey);
    }

    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
