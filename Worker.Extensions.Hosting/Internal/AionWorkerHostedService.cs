using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aion.Worker.Extensions.Hosting.Internal;

/// <summary>Runs one named worker for the host's lifetime; the host's stopping is the worker's shutdown.</summary>
internal sealed partial class AionWorkerHostedService(HostedWorkerDefinition definition, IServiceProvider services) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _shutdown = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly ILogger _logger = services.GetService<ILoggerFactory>()?.CreateLogger("Aion.Worker.Extensions.Hosting") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    private Task? _run;

    public AionWorker? Worker { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A copy: the options monitor's instance is shared and must not change under its other readers.
        var options = services.GetRequiredService<IOptionsMonitor<AionWorkerOptions>>().Get(definition.Name).Clone();
        if (!definition.Hosting.FailFastOnStartup)
        {
            options.Reconnect ??= new ReconnectOptions();
            options.Reconnect.RetryFirstConnectForever = true;
        }

        var builder = AionWorker.CreateBuilder(options);
        builder.StageServices = services;
        builder.UseInterceptor(new ScopeInterceptor(services.GetRequiredService<IServiceScopeFactory>(), definition.ScopedInterceptors));
        if (services.GetService<ILoggerFactory>() is { } loggerFactory)
        {
            builder.UseLoggerFactory(loggerFactory);
        }

        if (services.GetService<TimeProvider>() is { } time)
        {
            builder.UseTimeProvider(time);
        }

        if (services.GetService<IMeterFactory>() is { } meterFactory)
        {
            builder.UseMeterFactory(meterFactory);
        }

        definition.Apply(builder, services);
        Worker = builder.Build();
        services.GetRequiredService<AionWorkerRegistry>().Add(definition.Name, Worker);
        _run = RunAsync(Worker);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_run is null)
        {
            return;
        }

        _shutdown.Cancel();
        var timeout = services.GetService<IOptions<HostOptions>>()?.Value.ShutdownTimeout ?? TimeSpan.FromSeconds(30);
        var margin = definition.Hosting.AbandonBeforeShutdownTimeout;
        if (margin > timeout / 10)
        {
            margin = timeout / 10;
        }

        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        using var abandonAt = new CancellationTokenSource(timeout - margin, time);
        using var abandonLink = CancellationTokenSource.CreateLinkedTokenSource(abandonAt.Token, cancellationToken);
        using var registration = abandonLink.Token.Register(static state => ((CancellationTokenSource)state!).Cancel(), _abandon);
        await _run.ConfigureAwait(false);
    }

    public void Dispose()
    {
        _shutdown.Dispose();
        _abandon.Dispose();
    }

    private async Task RunAsync(AionWorker worker)
    {
        await Task.Yield();
        try
        {
            await worker.RunAsync(_shutdown.Token, _abandon.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            RunFailed(_logger, ex, definition.Name);
            if (definition.Hosting.StopApplicationOnFailure && !_shutdown.IsCancellationRequested)
            {
                services.GetService<IHostApplicationLifetime>()?.StopApplication();
            }
        }
    }

    [LoggerMessage(100, LogLevel.Critical, "The Aion worker '{Name}' stopped with an error")]
    private static partial void RunFailed(ILogger logger, Exception error, string name);
}
