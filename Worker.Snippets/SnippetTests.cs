using System.Text;
using System.Text.RegularExpressions;
using Aion.Worker;
using NUnit.Framework;

namespace Snippets;

/// <summary>
/// Keeps every C# block of README.md and docs/*.md equal to compiled code. A block preceded by
/// <c>&lt;!-- snippet: name --&gt;</c> must equal the regions <c>#region name</c> of this project
/// (joined by a blank line, each dedented); a block that is deliberately not compilable code is
/// preceded by <c>&lt;!-- partial --&gt;</c>. Run with <c>AION_UPDATE_SNIPPETS=1</c> to rewrite the
/// markdown from the code.
/// </summary>
public sealed partial class SnippetTests
{
    private static readonly string Root = FindRoot();

    [Test]
    public void Every_csharp_block_in_the_docs_is_a_compiled_snippet_or_marked_partial()
    {
        var snippets = ReadSnippets();
        var problems = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var update = Environment.GetEnvironmentVariable("AION_UPDATE_SNIPPETS") == "1";
        foreach (var document in Documents())
        {
            var lines = File.ReadAllLines(document);
            var output = new List<string>(lines.Length);
            var relative = Path.GetRelativePath(Root, document);
            for (var i = 0; i < lines.Length; i++)
            {
                output.Add(lines[i]);
                if (!lines[i].TrimStart().StartsWith("```csharp", StringComparison.Ordinal))
                {
                    continue;
                }

                var end = Array.FindIndex(lines, i + 1, line => line.TrimStart().StartsWith("```", StringComparison.Ordinal));
                if (end < 0)
                {
                    problems.Add($"{relative}:{i + 1}: the code block is not closed.");
                    break;
                }

                var marker = i > 0 ? Marker().Match(lines[i - 1]) : Match.Empty;
                var block = string.Join('\n', lines[(i + 1)..end]);
                if (!marker.Success)
                {
                    problems.Add($"{relative}:{i + 1}: a C# block without <!-- snippet: name --> or <!-- partial --> above it.");
                }
                else if (marker.Groups["name"].Success)
                {
                    var name = marker.Groups["name"].Value;
                    used.Add(name);
                    if (!snippets.TryGetValue(name, out var expected))
                    {
                        problems.Add($"{relative}:{i + 1}: no #region {name} in Worker.Snippets.");
                    }
                    else if (update)
                    {
                        output.AddRange(expected.Split('\n'));
                        output.Add(lines[end]);
                        i = end;
                        continue;
                    }
                    else if (block != expected)
                    {
                        problems.Add($"{relative}:{i + 1}: the block differs from snippet '{name}'. Expected:\n{expected}\n--- but the markdown has:\n{block}");
                    }
                }

                output.AddRange(lines[(i + 1)..(end + 1)]);
                i = end;
            }

            if (update)
            {
                File.WriteAllText(document, string.Join('\n', output) + "\n");
            }
        }

        foreach (var name in snippets.Keys.Where(name => !used.Contains(name)))
        {
            problems.Add($"#region {name} is used by no document.");
        }

        Assert.That(problems, Is.Empty, string.Join("\n\n", problems));
    }

    [Test]
    public void The_snippet_extraction_joins_regions_dedents_and_keeps_inner_blank_lines()
    {
        var text = "#region a\nusing X;\n\n#endregion\nclass C\n{\n    void M()\n    {\n        #region a\n        var x = 1;\n\n        if (x > 0)\n        {\n            x++;\n        }\n        #endregion\n    }\n}\n";
        var regions = new Dictionary<string, List<string>>();

        Collect(text, regions);

        Assert.That(Join(regions["a"]), Is.EqualTo("using X;\n\nvar x = 1;\n\nif (x > 0)\n{\n    x++;\n}"));
    }

    [Test]
    public async Task The_testing_snippet_runs_and_reads_the_typed_output()
    {
        var options = new AionWorkerOptions
        {
            TaskQueue = "snippets",
            Identity = "snippets-" + Guid.NewGuid().ToString("N")[..8],
            MaxConcurrency = 2,
            Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(50), MaxAttempts = 3 },

            // Not MaxBackoff's 50 ms: on a loaded machine (the suite runs both test assemblies at once)
            // three establishment tries timed out, the run failed, and the snippet waited for its result.
            RegisterTimeout = TimeSpan.FromSeconds(5),
            SendTimeout = TimeSpan.FromSeconds(5),
        };

        var receipt = await Readme.Testing.RunAsync(options).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(receipt, Is.EqualTo(new Receipt("r-42", 42)));
    }

    [Test]
    public async Task The_composing_stages_snippet_fails_a_huge_charge_before_it_runs()
    {
        var options = new AionWorkerOptions
        {
            TaskQueue = "snippets",
            Identity = "snippets-" + Guid.NewGuid().ToString("N")[..8],
            MaxConcurrency = 2,
            Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(50), MaxAttempts = 3 },
            RegisterTimeout = TimeSpan.FromSeconds(5),
            SendTimeout = TimeSpan.FromSeconds(5),
        };

        var result = await Readme.Stages.RunAsync(options).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(result.Error.Message, Is.EqualTo("charges over 10,000 need a human"));
        Assert.That(result.Error.Kind, Is.EqualTo(Aion.Worker.Protocol.ActivityErrorKind.Terminal));
    }

    [Test]
    public async Task The_testing_one_activity_snippet_reads_the_output_the_progress_and_the_cancellation()
    {
        var (receipt, step, cancelled) = await Readme.TestingOneActivity.RunAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(receipt, Is.EqualTo(new Receipt("r-42", 42)));
        Assert.That(step, Is.EqualTo("authorizing"));
        Assert.That(cancelled.Kind, Is.EqualTo(Aion.Worker.Protocol.ActivityErrorKind.Terminal));
        Assert.That(cancelled.Message, Does.Contain("cancelled at the engine's request"));
    }

    private static IEnumerable<string> Documents() =>
        new[] { Path.Combine(Root, "README.md") }.Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal));

    private static Dictionary<string, string> ReadSnippets()
    {
        var regions = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "Worker.Snippets"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            var found = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            Collect(File.ReadAllText(file), found);
            foreach (var (name, blocks) in found)
            {
                Assert.That(owner.TryAdd(name, file), Is.True, $"#region {name} is in two files: {owner.GetValueOrDefault(name)} and {file}");
                regions[name] = blocks;
            }
        }

        return regions.ToDictionary(pair => pair.Key, pair => Join(pair.Value), StringComparer.Ordinal);
    }

    private static void Collect(string text, Dictionary<string, List<string>> regions)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var start = Region().Match(lines[i]);
            if (!start.Success)
            {
                continue;
            }

            var end = Array.FindIndex(lines, i + 1, line => line.Trim() == "#endregion");
            Assert.That(end, Is.GreaterThan(i), $"#region {start.Groups["name"].Value} is not closed");
            if (!regions.TryGetValue(start.Groups["name"].Value, out var blocks))
            {
                regions[start.Groups["name"].Value] = blocks = [];
            }

            blocks.Add(Dedent(lines[(i + 1)..end]));
            i = end;
        }
    }

    private static string Dedent(string[] lines)
    {
        var indent = lines.Where(line => line.Trim().Length > 0).Select(line => line.Length - line.TrimStart().Length).DefaultIfEmpty(0).Min();
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line.Trim().Length == 0 ? string.Empty : line[indent..].TrimEnd()).Append('\n');
        }

        return text.ToString().Trim('\n');
    }

    private static string Join(List<string> blocks) => string.Join("\n\n", blocks);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Worker.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Worker.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\s*<!--\s*(?:snippet:\s*(?<name>[\w.-]+)|partial)\s*-->\s*$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^\s*#region\s+(?<name>[\w.-]+)\s*$")]
    private static partial Regex Region();
}
