using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Aion.Worker.Transport.Grpc.Internal;

/// <summary>
/// The validation of the engine's TLS certificate for one connection: the platform's check, a
/// custom trust store (<see cref="GrpcTransportOptions.TrustedCertificates"/>), or a callback the
/// user set through <see cref="GrpcTransportOptions.ConfigureHttpHandler"/>. It remembers why it
/// rejected the certificate, so the failure that surfaces later from Grpc.Net.Client (an
/// <see cref="System.Security.Authentication.AuthenticationException"/> deep in an
/// <see cref="global::Grpc.Core.RpcException"/>) can be reported as the certificate problem it is.
/// </summary>
internal sealed class ServerCertificateCheck
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    private readonly X509Certificate2Collection? _trusted;
    private readonly RemoteCertificateValidationCallback? _userCallback;
    private readonly X509RevocationMode _revocationMode;
    private volatile string? _rejection;

    public ServerCertificateCheck(X509Certificate2Collection? trusted, RemoteCertificateValidationCallback? userCallback, X509RevocationMode revocationMode)
    {
        _trusted = trusted;
        _userCallback = userCallback;
        _revocationMode = revocationMode;
    }

    /// <summary>Why the engine's certificate was rejected on this connection, or <see langword="null"/> when it was not (yet).</summary>
    public string? Rejection => _rejection;

    /// <summary>The <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/> of the connection.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var problem = _userCallback is not null
            ? ByUserCallback(sender, certificate, chain, errors)
            : _trusted is not null
                ? ByTrustStore(certificate, chain, errors)
                : ByPlatform(chain, errors);
        if (problem is null)
        {
            return true;
        }

        _rejection = Describe(certificate) + problem;
        return false;
    }

    private string? ByUserCallback(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        try
        {
            return _userCallback!(sender, certificate, chain, errors)
                ? null
                : $"the RemoteCertificateValidationCallback set through ConfigureHttpHandler rejected it (platform check: {Platform(chain, errors)})";
        }
        catch (Exception ex)
        {
            return $"the RemoteCertificateValidationCallback set through ConfigureHttpHandler threw {ex.GetType().Name}: {ex.Message}";
        }
    }

    private static string? ByPlatform(X509Chain? chain, SslPolicyErrors errors) =>
        errors == SslPolicyErrors.None ? null : Platform(chain, errors);

    /// <summary>The chain must end at one of the trusted certificates (no system roots); the name and validity checks stay.</summary>
    private string? ByTrustStore(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return "the engine presented no certificate (RemoteCertificateNotAvailable)";
        }

        var problems = new List<string>();
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            problems.Add(NameMismatch);
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trusted!);
        chain.ChainPolicy.ExtraStore.AddRange(_trusted!);
        if (presented is not null)
        {
            // The intermediates the engine sent with its certificate.
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        }

        chain.ChainPolicy.RevocationMode = _revocationMode;
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            if (!chain.Build(leaf))
            {
                problems.Add($"its chain does not lead to a certificate in GrpcTransportOptions.TrustedCertificates ({ChainStatus(chain)})");
            }
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, certificate))
                {
                    element.Certificate.Dispose();
                }
            }

            if (!ReferenceEquals(leaf, certificate))
            {
                leaf.Dispose();
            }
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private const string NameMismatch = "its names (subject alternative names) do not match the endpoint's host (RemoteCertificateNameMismatch)";

    private static string Platform(X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return "passed";
        }

        var problems = new List<string>();
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            problems.Add("the engine presented no certificate (RemoteCertificateNotAvailable)");
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            problems.Add(NameMismatch);
        }

        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            problems.Add($"its chain is not trusted by the platform ({(chain is null ? "RemoteCertificateChainErrors" : ChainStatus(chain))})");
        }

        return string.Join("; ", problems);
    }

    /// <summary>Every distinct chain status, e.g. <c>UntrustedRoot: self-signed certificate in certificate chain</c>.</summary>
    private static string ChainStatus(X509Chain chain)
    {
        var statuses = chain.ChainStatus
            .Where(status => status.Status != X509ChainStatusFlags.NoError)
            .Select(status => string.IsNullOrWhiteSpace(status.StatusInformation) ? status.Status.ToString() : $"{status.Status}: {status.StatusInformation.Trim()}")
            .Distinct()
            .ToArray();
        return statuses.Length == 0 ? "RemoteCertificateChainErrors" : string.Join(", ", statuses);
    }

    private static string Describe(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return string.Empty;
        }

        var text = new StringBuilder("certificate '").Append(certificate.Subject).Append("' issued by '").Append(certificate.Issuer).Append('\'');
        if (certificate is X509Certificate2 full)
        {
            text.Append(" (valid ").Append(full.NotBefore.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture))
                .Append(" to ").Append(full.NotAfter.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture))
                .Append(", thumbprint ").Append(full.Thumbprint).Append(')');
        }

        return text.Append(": ").ToString();
    }
}
