namespace Aion.Worker.Benchmarks.Load;

/// <summary>
/// Hooks for <c>scripts/profile</c>, both off unless their environment variable is set:
/// <list type="bullet">
/// <item><c>AION_LOAD_PERF_CONTROL=&lt;ctl fifo&gt;,&lt;ack fifo&gt;</c> — the driver writes <c>enable</c> to
/// <c>perf record --control fifo:…</c> as the measured run starts and <c>disable</c> as it ends (waiting
/// for perf's <c>ack</c> each time), so a profile started with events disabled (<c>-D -1</c>) holds the
/// measured run alone: no start-up, no warm-up JIT, no report.</item>
/// <item><c>AION_LOAD_CHILD_PREFIX=&lt;command and arguments, space-separated&gt;</c> — a
/// <c>--worker-process</c> child is started under this command (e.g. <c>perf record … --</c>); the
/// arguments must not contain spaces.</item>
/// </list>
/// </summary>
internal static class ProfilerControl
{
    public const string ControlVariable = "AION_LOAD_PERF_CONTROL";
    public const string ChildPrefixVariable = "AION_LOAD_CHILD_PREFIX";

    /// <summary>The child's command prefix, empty when none is set.</summary>
    public static string[] ChildPrefix() =>
        Environment.GetEnvironmentVariable(ChildPrefixVariable)?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    /// <summary>The measured run starts: tell perf to sample.</summary>
    public static Task EnableAsync() => SendAsync("enable");

    /// <summary>The measured run ended: tell perf to stop sampling.</summary>
    public static Task DisableAsync() => SendAsync("disable");

    private static async Task SendAsync(string command)
    {
        var fifos = Environment.GetEnvironmentVariable(ControlVariable);
        if (string.IsNullOrEmpty(fifos))
        {
            return;
        }

        var parts = fifos.Split(',', StringSplitOptions.TrimEntries);
        await using (var control = new StreamWriter(new FileStream(parts[0], FileMode.Open, FileAccess.Write, FileShare.ReadWrite)))
        {
            await control.WriteLineAsync(command);
        }

        if (parts.Length > 1)
        {
            using var ack = new StreamReader(new FileStream(parts[1], FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            var line = await ack.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            if (line?.Contains("ack", StringComparison.Ordinal) != true)
            {
                throw new InvalidOperationException($"perf answered '{line}' to '{command}', not 'ack'.");
            }
        }
    }
}
