using System.Text;

namespace Aion.Worker.Internal;

/// <summary>The validated, resolved options a built worker runs with.</summary>
internal sealed class WorkerSettings
{
    /// <summary>The largest duration a .NET timer accepts.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMilliseconds(4_294_967_294d);

    public required IReadOnlyList<string> Namespaces { get; init; }
    public required string NamespacesHeader { get; init; }
    public required string Subject { get; init; }
    public required string TaskQueue { get; init; }
    public required string Node { get; init; }
    public required string Identity { get; init; }
    public required int MaxConcurrency { get; init; }
    public required int MaxQueuedTasks { get; init; }
    public required int MaxUnackedResults { get; init; }
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
        var problems = Problems(options);
        if (otherProblems is not null)
        {
            problems.AddRange(otherProblems);
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"The Aion worker cannot be built ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}");
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

    /// <summary>Every problem of <paramref name="options"/>, each naming the option and its rule.</summary>
    public static List<string> Problems(AionWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        var reconnect = options.Reconnect;
        if (reconnect is null)
        {
            problems.Add("Reconnect: is required.");
            reconnect = new ReconnectOptions();
        }

        var namespaces = options.Namespaces ?? ["default"];
        if (namespaces.Count == 0)
        {
            problems.Add("Namespaces: must name at least one namespace (leave it unset for [\"default\"]).");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < namespaces.Count; i++)
        {
            var name = namespaces[i];
            if (string.IsNullOrEmpty(name))
            {
                problems.Add($"Namespaces[{i}]: must not be empty.");
            }
            else if (name.Contains(','))
            {
                problems.Add($"Namespaces[{i}]: '{name}' must not contain ','.");
            }
            else if (!IsVisibleAscii(name))
            {
                problems.Add($"Namespaces[{i}]: '{Printable(name)}' may contain only characters 0x21-0x7E (no whitespace, no non-ASCII).");
            }
            else if (!seen.Add(name))
            {
                problems.Add($"Namespaces[{i}]: '{name}' is a duplicate.");
            }
        }

        if (string.IsNullOrEmpty(options.Subject))
        {
            problems.Add("Subject: must not be empty.");
        }
        else if (!IsVisibleAscii(options.Subject))
        {
            problems.Add($"Subject: '{Printable(options.Subject)}' may contain only characters 0x21-0x7E.");
        }

        if (options.TaskQueue is null)
        {
            problems.Add("TaskQueue: is required (use \"\" for the engine's default queue).");
        }

        if (string.IsNullOrWhiteSpace(options.Identity))
        {
            problems.Add("Identity: is required and must not be empty.");
        }

        if (options.MaxConcurrency < 1)
        {
            problems.Add($"MaxConcurrency: must be at least 1 (was {options.MaxConcurrency}).");
        }

        if (options.MaxQueuedTasks is < 1)
        {
            problems.Add($"MaxQueuedTasks: must be at least 1 (was {options.MaxQueuedTasks}).");
        }

        if (options.MaxUnackedResults < 1)
        {
            problems.Add($"MaxUnackedResults: must be at least 1 (was {options.MaxUnackedResults}).");
        }

        if (options.MaxSendMessageSize < 1024)
        {
            problems.Add($"MaxSendMessageSize: must be at least 1024 bytes (was {options.MaxSendMessageSize}).");
        }

        CheckDuration(problems, "Reconnect.InitialBackoff", reconnect.InitialBackoff);
        CheckDuration(problems, "Reconnect.MaxBackoff", reconnect.MaxBackoff);
        if (reconnect.MaxAttempts < 1)
        {
            problems.Add($"Reconnect.MaxAttempts: must be at least 1 (was {reconnect.MaxAttempts}).");
        }

        if (double.IsNaN(reconnect.Jitter) || reconnect.Jitter < 0 || reconnect.Jitter > 1)
        {
            problems.Add($"Reconnect.Jitter: must be between 0 and 1 (was {reconnect.Jitter}).");
        }

        if (options.RegisterTimeout is { } registerTimeout)
        {
            CheckDuration(problems, "RegisterTimeout", registerTimeout);
        }

        if (options.SendTimeout is { } sendTimeout)
        {
            CheckDuration(problems, "SendTimeout", sendTimeout);
        }

        if (options.BearerToken is { } token)
        {
            if (token.Length == 0)
            {
                problems.Add("BearerToken: must not be empty when set.");
            }
            else if (!IsVisibleAscii(token))
            {
                // Never echo the token itself.
                problems.Add("BearerToken: may contain only characters 0x21-0x7E (no whitespace, no non-ASCII).");
            }
        }

        return problems;
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

    private static void CheckDuration(List<string> problems, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            problems.Add($"{name}: must be greater than zero (was {value}).");
        }
        else if (value > MaxDuration)
        {
            problems.Add($"{name}: must be at most 4294967294 ms (was {value.TotalMilliseconds} ms).");
        }
    }

    private static string Printable(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            text.Append(c is < '\x20' or '\x7F' ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return text.ToString();
    }
}
