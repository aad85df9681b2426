using Grpc.Core;

namespace Aion.Worker.Tests.Support;

/// <summary>Shared pieces of the reconnect and shutdown tests.</summary>
public static class ReconnectKit
{
    /// <summary>Register and send timeouts far from every backoff, so a timer's due time says which sleep it is.</summary>
    public static readonly TimeSpan QuietTimeout = TimeSpan.FromSeconds(1);

    public static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    public static Status Unavailable(string detail) => new(StatusCode.Unavailable, detail);

    public static Status Denied(string detail) => new(StatusCode.PermissionDenied, detail);

    /// <summary>The harness defaults (5 ms / 20 ms / 3 attempts) with quiet timeouts and the given attempts.</summary>
    public static Action<AionWorkerOptions> WorkerOptions(int maxAttempts = 3, int maxConcurrency = 2) => options =>
    {
        options.Reconnect.MaxAttempts = maxAttempts;
        options.MaxConcurrency = maxConcurrency;
        options.RegisterTimeout = QuietTimeout;
        options.SendTimeout = QuietTimeout;
    };

    /// <summary>Registers <c>echo</c>, which returns its input.</summary>
    public static void Echo(AionWorkerBuilder builder) => builder.AddActivity<string, string>("echo", (input, _) => input);
}
