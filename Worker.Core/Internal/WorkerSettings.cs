using System.Text;

namespace Aion.Worker.Internal;

/// <summary>The validated, resolved options a built worker runs with.</summary>
internal sealed class WorkerSettings
{
    /// <summary>The largest duration a .NET timer accepts.</summary>
    public static readonly TimeSpan MaxDuration = OptionProblems.MaxDuration;

    public required IReadOnlyList<string> Namespaces { get; init; }
    public required string NamespacesHeader { get; init; }
    public required string Subject { get; init; }
    public required string TaskQueue { get; init; }
    public required string Node { get; init; }
    public required string Identity { get; init; }
    public required int MaxConcurrency { get; init; }
    public required int MaxQueuedTasks { get; init; }
    public required int MaxUnackedResults { get; init; }
    public required long MaxUnackedResultBytes { get; init; }
    public required TimeSpan ShutdownAckTimeout { get; init; }
    public required int MaxTaskInputSize { get; init; }
    public required TimeSpan InitialBackoff { get; init; }
    public required TimeSpan MaxBackoff { get; init; }
    public required int MaxAttempts { get; init; }
    public required bool RetryFirstConnectForever { get; init; }
    public required double Jitter { get; init; }
    public required TimeSpan RegisterTimeout { get; init; }
    public required TimeSpan SendTimeout { get; init; }
    public required int MaxSendMessageSize { get; init; }
    public required string? BearerToken { get; init; }
    public required Func<CancellationToken, ValueTask<string>>? BearerTokenProvider { get; init; }

    /// <summary>The options with every default filled in, as the worker exposes them.</summary>
    public required AionWorkerOptions Resolved { get; init; }

    /// <summary>Validates <paramref name="options"/> and resolves their defaults.</summary>
    /// <param name="options">The user's options.</param>
    /// <param name="otherProblems">Problems found elsewhere (registration, codec) to report in the same message.</param>
    /// <exception cref="InvalidOperationException">One message naming every invalid option and its rule.</exception>
    public static WorkerSettings From(AionWorkerOptions options, IEnumerable<string>? otherProblems = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new OptionProblems();
        problems.AddRange(options.Validate());
        if (otherProblems is not null)
        {
            problems.AddRange(otherProblems);
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(OptionProblems.Describe("The Aion worker cannot be built", problems.ToList()));
        }

        var reconnect = options.Reconnect!;
        var namespaces = options.Namespaces ?? ["default"];
        var maxConcurrency = options.MaxConcurrency;
        var resolved = options.Clone();
        resolved.Namespaces = [.. namespaces];
        resolved.Node = options.Node ?? DefaultNode();
        resolved.MaxQueuedTasks = options.MaxQueuedTasks ?? (int)Math.Min(int.MaxValue, Math.Max(64L, 2L * maxConcurrency));
        resolved.RegisterTimeout = options.RegisterTimeout ?? reconnect.MaxBackoff;
        resolved.SendTimeout = options.SendTimeout ?? reconnect.MaxBackoff;

        return new WorkerSettings
        {
            Namespaces = resolved.Namespaces.AsReadOnly(),
            NamespacesHeader = string.Join(",", resolved.Namespaces),
            Subject = options.Subject,
            TaskQueue = options.TaskQueue!,
            Node = resolved.Node,
            Identity = options.Identity!,
            MaxConcurrency = maxConcurrency,
            MaxQueuedTasks = resolved.MaxQueuedTasks.Value,
            MaxUnackedResults = options.MaxUnackedResults,
            MaxUnackedResultBytes = options.MaxUnackedResultBytes,
            ShutdownAckTimeout = options.ShutdownAckTimeout,
            MaxTaskInputSize = options.MaxTaskInputSize,
            InitialBackoff = reconnect.InitialBackoff,
            MaxBackoff = reconnect.MaxBackoff,
            MaxAttempts = reconnect.MaxAttempts,
            RetryFirstConnectForever = reconnect.RetryFirstConnectForever,
            Jitter = reconnect.Jitter,
            RegisterTimeout = resolved.RegisterTimeout.Value,
            SendTimeout = resolved.SendTimeout.Value,
            MaxSendMessageSize = options.MaxSendMessageSize,
            BearerToken = options.BearerToken,
            BearerTokenProvider = options.BearerTokenProvider,
            Resolved = resolved,
        };
    }

    /// <summary>Whether every character is in 0x21–0x7E (valid ASCII metadata without whitespace).</summary>
    public static bool IsVisibleAscii(string value)
    {
        foreach (var c in value)
        {
            if (c is < '\x21' or > '\x7E')
            {
                return false;
            }
        }

        return value.Length > 0;
    }

    /// <summary>The default node: env <c>HOSTNAME</c>, then the OS host name, then <c>localhost</c>.</summary>
    public static string DefaultNode()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("HOSTNAME");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment.Trim();
        }

        try
        {
            var machine = System.Net.Dns.GetHostName();
            if (!string.IsNullOrWhiteSpace(machine))
            {
                return machine;
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
            // Fall through to the last resort.
        }

        return "localhost";
    }

    /// <summary><paramref name="value"/> with its control characters escaped, to quote it in a message.</summary>
    public static string Printable(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            text.Append(c is < '\x20' or '\x7F' ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return text.ToString();
    }
}
