using Microsoft.Extensions.Logging;

namespace Aion.Worker.Tests.Support;

/// <summary>Captures log entries (with their scopes) for assertions.</summary>
public sealed class TestLoggerFactory : ILoggerFactory
{
    private readonly Lock _gate = new();
    private readonly List<LogEntry> _entries = [];

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new TestLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    internal void Add(LogEntry entry)
    {
        lock (_gate)
        {
            _entries.Add(entry);
        }
    }

    private sealed class TestLogger(TestLoggerFactory owner, string category) : ILogger
    {
        private readonly AsyncLocal<ScopeNode?> _scope = new();

        public IDisposable BeginScope<TState>(TState state)
            where TState : notnull
        {
            var node = new ScopeNode(state, _scope.Value, _scope);
            _scope.Value = node;
            return node;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new List<object>();
            for (var node = _scope.Value; node is not null; node = node.Parent)
            {
                scopes.Add(node.State);
            }

            var properties = state is IReadOnlyList<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(pair => pair.Key, pair => pair.Value)
                : null;
            owner.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception, scopes, properties));
        }

        private sealed class ScopeNode(object state, ScopeNode? parent, AsyncLocal<ScopeNode?> holder) : IDisposable
        {
            public object State { get; } = state;
            public ScopeNode? Parent { get; } = parent;

            public void Dispose() => holder.Value = Parent;
        }
    }
}

/// <param name="Properties">The structured values of the entry (names as in the message template), when the logger passed them.</param>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception, IReadOnlyList<object> Scopes, IReadOnlyDictionary<string, object?>? Properties = null)
{
    /// <summary>One structured value of the entry.</summary>
    public object? this[string name] => Properties is { } properties && properties.TryGetValue(name, out var value) ? value : null;

    public override string ToString() => $"{Level} [{EventId.Id}] {Message}";
}
