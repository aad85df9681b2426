using Microsoft.Extensions.Logging;

namespace Aion.Worker.Samples.Hosting;

public sealed record ChargeRequest(string Account, long AmountCents);

public sealed record Receipt(string Account, long AmountCents, string Reference);

/// <summary>A scoped service: one instance per activity execution.</summary>
public sealed class PaymentGateway(ILogger<PaymentGateway> logger) : IAsyncDisposable
{
    private readonly string _connection = Guid.NewGuid().ToString("N")[..8];

    public async Task<string> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        logger.LogInformation("charged {Account} {AmountCents} over connection {Connection}", request.Account, request.AmountCents, _connection);
        return $"rcpt-{_connection}";
    }

    public ValueTask DisposeAsync() => default;
}

/// <summary>A class-based activity resolved per execution from a fresh scope.</summary>
public sealed class ChargeActivity(PaymentGateway gateway) : IActivity<ChargeRequest, Receipt>
{
    public async Task<Receipt> ExecuteAsync(ChargeRequest input, ActivityContext context)
    {
        if (input.AmountCents <= 0)
        {
            throw new TerminalActivityException("the amount must be positive", new { input.AmountCents });
        }

        await context.HeartbeatAsync(new { step = "charging" }, context.CancellationToken);
        var reference = await gateway.ChargeAsync(input, context.CancellationToken);
        return new Receipt(input.Account, input.AmountCents, reference);
    }
}

/// <summary>An interceptor resolved from the execution's scope: logs every execution's outcome.</summary>
public sealed class AuditInterceptor(ILogger<AuditInterceptor> logger) : IActivityInterceptor
{
    public async ValueTask<Protocol.Payload> InterceptAsync(ActivityContext context, Protocol.Payload input, ActivityInvocation continuation)
    {
        try
        {
            var output = await continuation(context, input);
            logger.LogInformation("audit: {ActivityType} succeeded", context.ActivityType);
            return output;
        }
        catch (Exception ex)
        {
            logger.LogInformation("audit: {ActivityType} failed: {Reason}", context.ActivityType, ex.Message);
            throw;
        }
    }
}
