using Aion.Worker.Transport.InMemory;

namespace Aion.Worker;

/// <summary>Connects a worker to an <see cref="InMemoryEngine"/>.</summary>
public static class InMemoryWorkerBuilderExtensions
{
    /// <summary>Serves <paramref name="engine"/> in process.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="engine">The engine.</param>
    /// <returns>The builder.</returns>
    public static AionWorkerBuilder UseInMemory(this AionWorkerBuilder builder, InMemoryEngine engine)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseTransport(new InMemoryTransport(engine));
    }
}
