using System.CommandLine;
using System.Globalization;

namespace Aion.Worker.Cli;

/// <summary>
/// The command-line conventions of the demo and the load driver (this file is linked into both):
/// System.CommandLine, <c>--help</c>, every bad value or unknown token reported on standard error
/// with exit code 2, and option factories with their validation, so adding an option is one line.
/// </summary>
internal static class Cli
{
    /// <summary>The exit code of a command line that does not parse or validate.</summary>
    public const int UsageError = 2;

    /// <summary>Parses <paramref name="args"/> and runs the chosen command; errors print and return <see cref="UsageError"/>.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var result = root.Parse(args);
        if (result.Errors.Count == 0)
        {
            var configuration = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
            return await result.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }

        var command = result.CommandResult.Command;
        foreach (var problem in result.Errors)
        {
            await error.WriteLineAsync($"error: {problem.Message}").ConfigureAwait(false);
        }

        foreach (var token in result.UnmatchedTokens.Where(token => token.StartsWith('-')))
        {
            if (Closest(token, command.Options.SelectMany(option => option.Aliases.Prepend(option.Name))) is { } suggestion)
            {
                await error.WriteLineAsync($"Did you mean '{suggestion}' instead of '{token}'?").ConfigureAwait(false);
            }
        }

        var path = new List<string>();
        for (var at = result.CommandResult; at is not null; at = at.Parent as System.CommandLine.Parsing.CommandResult)
        {
            path.Insert(0, at.Command.Name);
        }

        var usage = string.Join(' ', path);
        await error.WriteLineAsync($"Run '{usage} --help' for usage.").ConfigureAwait(false);
        return UsageError;
    }

    /// <summary>An integer option that must be at least <paramref name="minimum"/>.</summary>
    public static Option<int> AtLeast(string name, int minimum, int defaultValue, string description) => new(name)
    {
        Description = description,
        HelpName = "n",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                result.AddError($"{name}: '{text}' is not a whole number.");
                return defaultValue;
            }

            if (value < minimum)
            {
                result.AddError($"{name} must be at least {minimum} (was {value}).");
            }

            return value;
        },
    };

    /// <summary>The option's value when the command line gives it, otherwise <paramref name="fallback"/>.</summary>
    public static T ValueOr<T>(ParseResult parse, Option<T> option, T fallback) =>
        parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option)! : fallback;

    /// <summary>An optional integer option that must be at least <paramref name="minimum"/>; absent, its value is <see langword="null"/>.</summary>
    public static Option<int?> OptionalAtLeast(string name, int minimum, string description) => new(name)
    {
        Description = description,
        HelpName = "n",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                result.AddError($"{name}: '{text}' is not a whole number.");
                return null;
            }

            if (value < minimum)
            {
                result.AddError($"{name} must be at least {minimum} (was {value}).");
            }

            return value;
        },
    };

    /// <summary>A comma-separated list of integers, each at least <paramref name="minimum"/> (e.g. <c>--concurrency 1,64</c>); read it with <see cref="ValueOr"/>.</summary>
    public static Option<int[]> IntList(string name, int minimum, int[] defaultValue, string description) => new(name)
    {
        Description = $"{description} [default: {string.Join(",", defaultValue)}]",
        HelpName = "n[,n…]",
        CustomParser = result =>
        {
            var values = new List<int>();
            foreach (var item in Items(result, name))
            {
                if (!int.TryParse(item, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
                {
                    result.AddError($"{name}: '{item}' is not a whole number.");
                    return [];
                }

                if (value < minimum)
                {
                    result.AddError($"{name} must be at least {minimum} (was {value}).");
                    return [];
                }

                values.Add(value);
            }

            return [.. values];
        },
    };

    /// <summary>A comma-separated list of names, each one of <paramref name="allowed"/> (e.g. <c>--transport inmemory,grpc</c>); read it with <see cref="ValueOr"/>.</summary>
    public static Option<string[]> NameList(string name, string[] allowed, string[] defaultValue, string description) => new(name)
    {
        Description = $"{description}: {string.Join(", ", allowed)} [default: {string.Join(",", defaultValue)}]",
        HelpName = "name[,name…]",
        CustomParser = result =>
        {
            var values = Items(result, name).ToArray();
            foreach (var value in values)
            {
                if (!allowed.Contains(value, StringComparer.Ordinal))
                {
                    result.AddError($"{name}: '{value}' is not one of {string.Join(", ", allowed)}.");
                    return [];
                }
            }

            return values;
        },
    };

    private static IEnumerable<string> Items(System.CommandLine.Parsing.ArgumentResult result, string name)
    {
        var items = result.Tokens.SelectMany(token => token.Value.Split(',', StringSplitOptions.TrimEntries)).ToArray();
        if (items.Length == 0 || items.Any(item => item.Length == 0))
        {
            result.AddError($"{name}: expected a comma-separated list without empty items.");
            return [];
        }

        return items;
    }

    /// <summary>The option name closest to a mistyped one (edit distance at most 2), if any.</summary>
    internal static string? Closest(string typed, IEnumerable<string> names) => names
        .Where(name => name.StartsWith("--", StringComparison.Ordinal))
        .Select(name => (Name: name, Distance: Distance(typed, name)))
        .Where(candidate => candidate.Distance <= 2)
        .OrderBy(candidate => candidate.Distance)
        .Select(candidate => candidate.Name)
        .FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
