namespace Aion.Worker.Extensions.Hosting;

/// <summary>The hosted workers by name, once the host started them.</summary>
public sealed class AionWorkerRegistry
{
    private readonly Dictionary<string, AionWorker> _workers = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The worker named <paramref name="name"/>, or <see langword="null"/> before the host started it.</summary>
    /// <param name="name">The worker's name.</param>
    /// <returns>The worker.</returns>
    public AionWorker? Find(string name)
    {
        lock (_gate)
        {
            return _workers.GetValueOrDefault(name);
        }
    }

    internal void Add(string name, AionWorker worker)
    {
        lock (_gate)
        {
            _workers[name] = worker;
        }
    }
}
