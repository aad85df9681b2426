namespace Aion.Worker.Demo;

/// <summary>
/// The demo's progress: one line rewritten in place on a terminal, plain periodic lines when the
/// output is redirected (a file or a CI log gets no carriage returns and no flood of updates).
/// </summary>
internal sealed class ProgressReporter(TextWriter output, bool live)
{
    /// <summary>For the console: live only when standard output is a terminal.</summary>
    public static ProgressReporter ForConsole() => new(Console.Out, live: !Console.IsOutputRedirected);

    public bool Live => live;

    /// <summary>How often to report: four times a second live, once a second otherwise.</summary>
    public TimeSpan Interval => live ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(1);

    public void Report(string line)
    {
        if (live)
        {
            output.Write("\r" + line);
        }
        else
        {
            output.WriteLine(line.Trim());
        }
    }

    /// <summary>Ends the live line so the next output starts on its own line.</summary>
    public void Complete()
    {
        if (live)
        {
            output.WriteLine();
        }
    }
}
