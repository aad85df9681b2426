namespace Aion.Worker.Transport;

/// <summary>The call metadata of one worker stream.</summary>
/// <param name="Namespaces">The configured namespaces in order (header <c>x-aion-namespaces</c>, joined with <c>,</c>).</param>
/// <param name="Subject">Header <c>x-aion-subject</c>.</param>
/// <param name="BearerToken">The bearer token for <c>authorization: Bearer …</c>, or <see langword="null"/>.</param>
public sealed record WorkerSessionMetadata(IReadOnlyList<string> Namespaces, string Subject, string? BearerToken)
{
    /// <summary>The header names of the Aion worker stream.</summary>
    public static class Headers
    {
        /// <summary><c>x-aion-namespaces</c>: the namespaces joined with <c>,</c>.</summary>
        public const string Namespaces = "x-aion-namespaces";

        /// <summary><c>x-aion-subject</c>: the subject.</summary>
        public const string Subject = "x-aion-subject";

        /// <summary><c>authorization</c>: <c>Bearer &lt;token&gt;</c>.</summary>
        public const string Authorization = "authorization";
    }

    /// <summary>The value of the <c>x-aion-namespaces</c> header.</summary>
    public string NamespacesHeader => string.Join(",", Namespaces);

    /// <summary>Describes the metadata; the token is redacted.</summary>
    public override string ToString() =>
        $"WorkerSessionMetadata {{ Namespaces = {NamespacesHeader}, Subject = {Subject}, BearerToken = {(BearerToken is null ? "none" : "***")} }}";
}
