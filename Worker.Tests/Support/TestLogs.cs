using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Support;

/// <summary>Captured logs through the platform's fakes (Microsoft.Extensions.Diagnostics.Testing).</summary>
public static class TestLogs
{
    /// <summary>A logger factory at every level whose one provider records into <paramref name="collector"/> (with scopes).</summary>
    public static ILoggerFactory Factory(FakeLogCollector collector) =>
        LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(collector)));
}
