using Aion.Worker;
using Aion.Worker.Protocol;

namespace Snippets;

// The user types the snippets name. Outside the Aion.Worker namespaces on purpose: a snippet sees
// Aion types only through the usings it shows.
public sealed record ChargeRequest(long Amount);

public sealed record Receipt(string Reference, long Amount);

public sealed record Ping;

public sealed record Pong;

public sealed class PaymentsClient
{
    public Task<Receipt> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new Receipt($"r-{request.Amount}", request.Amount));
}

public sealed class PaymentGateway
{
    public Task<Receipt> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new Receipt($"g-{request.Amount}", request.Amount));
}

public sealed class ChargeActivity(PaymentGateway gateway) : IActivity<ChargeRequest, Receipt>
{
    public Task<Receipt> ExecuteAsync(ChargeRequest input, ActivityContext context) => gateway.ChargeAsync(input, context.CancellationToken);
}

public sealed class AuditInterceptor : IActivityInterceptor
{
    public ValueTask<Payload> InterceptAsync(ActivityContext context, Payload input, ActivityInvocation continuation) => continuation(context, input);
}
