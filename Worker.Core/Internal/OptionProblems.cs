using System.Globalization;

namespace Aion.Worker.Internal;

/// <summary>
/// What is wrong with a set of options: one line per problem, naming the option, its rule and the
/// value it had (<c>MaxConcurrency: must be at least 1 (was 0).</c>). Every options type of every
/// package validates through it, so all of them check and report alike.
/// </summary>
/// <remarks>
/// This file is compiled into each library that has options (a linked source file, as Polly shares
/// its <c>ValidationHelper</c>) instead of being shared through <c>InternalsVisibleTo</c>: the
/// packages can be upgraded one at a time, so one package's internals must not be another's contract.
/// </remarks>
internal sealed class OptionProblems
{
    /// <summary>The largest duration a .NET timer accepts: 4,294,967,294 ms.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMilliseconds(4_294_967_294d);

    private readonly List<string> _lines;
    private readonly string _prefix;

    /// <summary>An empty collection of problems.</summary>
    public OptionProblems()
        : this([], string.Empty)
    {
    }

    private OptionProblems(List<string> lines, string prefix)
    {
        _lines = lines;
        _prefix = prefix;
    }

    /// <summary>How many problems were found.</summary>
    public int Count => _lines.Count;

    /// <summary>The problems of the nested options <paramref name="option"/>: they land here, named <c>option.Name</c>.</summary>
    public OptionProblems For(string option) => new(_lines, _prefix + option + ".");

    /// <summary>Records that <paramref name="option"/> breaks <paramref name="rule"/> (a sentence: "must be …").</summary>
    public void Add(string option, string rule) => _lines.Add(_prefix + option + ": " + rule);

    /// <summary>Records problems already phrased <c>Name: rule</c> (another options type's, or the builder's own).</summary>
    public void AddRange(IEnumerable<string> problems) => _lines.AddRange(problems);

    /// <summary>Records that <paramref name="option"/> is missing, when <paramref name="value"/> is null.</summary>
    /// <returns>Whether the value is there.</returns>
    public bool Required(string option, object? value)
    {
        if (value is null)
        {
            Add(option, "is required.");
            return false;
        }

        return true;
    }

    /// <summary>Checks <c>value ≥ minimum</c>; <paramref name="unit"/> (e.g. <c>bytes</c>) follows the minimum in the message.</summary>
    public void AtLeast(string option, long value, long minimum, string? unit = null)
    {
        if (value < minimum)
        {
            Add(option, string.Create(CultureInfo.InvariantCulture, $"must be at least {minimum}{(unit is null ? "" : " " + unit)} (was {value})."));
        }
    }

    /// <summary>Checks a duration: greater than zero, and at most <see cref="MaxDuration"/>.</summary>
    public void Positive(string option, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            Add(option, string.Create(CultureInfo.InvariantCulture, $"must be greater than zero (was {value})."));
        }
        else
        {
            AtMostMaxDuration(option, value);
        }
    }

    /// <summary>Checks a duration: zero or more, and at most <see cref="MaxDuration"/>.</summary>
    public void NotNegative(string option, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            Add(option, string.Create(CultureInfo.InvariantCulture, $"must not be negative (was {value})."));
        }
        else
        {
            AtMostMaxDuration(option, value);
        }
    }

    /// <summary>The problems found, in the order they were found.</summary>
    public IReadOnlyList<string> ToList() => _lines.ToArray();

    /// <summary>Throws one <see cref="ArgumentException"/> listing every problem, if there is any.</summary>
    /// <param name="problems">What <c>Validate()</c> of the options returned.</param>
    /// <param name="subject">What failed, e.g. <c>The stream transport cannot be created</c>.</param>
    /// <param name="paramName">The parameter that carried the options.</param>
    public static void ThrowIfAny(IReadOnlyList<string> problems, string subject, string paramName)
    {
        if (problems.Count > 0)
        {
            throw new ArgumentException(Describe(subject, problems), paramName);
        }
    }

    /// <summary>One message with every problem: <c>subject (2 problems):</c>, then one indented line each.</summary>
    /// <param name="subject">What failed, e.g. <c>The Aion worker cannot be built</c>.</param>
    /// <param name="problems">The problems; at least one.</param>
    public static string Describe(string subject, IReadOnlyCollection<string> problems)
    {
        var separator = Environment.NewLine + "  - ";
        return string.Create(CultureInfo.InvariantCulture, $"{subject} ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):{separator}{string.Join(separator, problems)}");
    }

    private void AtMostMaxDuration(string option, TimeSpan value)
    {
        if (value > MaxDuration)
        {
            Add(option, string.Create(CultureInfo.InvariantCulture, $"must be at most 4294967294 ms (was {value.TotalMilliseconds} ms)."));
        }
    }
}
