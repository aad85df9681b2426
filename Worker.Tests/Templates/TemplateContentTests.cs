using System.Text.Json;
using System.Xml.Linq;

namespace Aion.Worker.Tests.Templates;

/// <summary>
/// The `dotnet new aion-worker` template's content, checked without instantiating it (CI's package
/// checks install, instantiate, build and test it): its identity, its source name, and package
/// versions the repository itself builds and tests with.
/// </summary>
public sealed class TemplateContentTests
{
    private static readonly string Root = FindRoot();
    private static readonly string Content = Path.Combine(Root, "templates", "Aion.Worker.Templates", "content", "AionWorker");

    [Test]
    public void The_template_is_aion_worker_with_a_source_name_found_in_its_files()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Content, ".template.config", "template.json")));
        var template = json.RootElement;
        var sourceName = template.GetProperty("sourceName").GetString()!;

        Assert.That(template.GetProperty("shortName").GetString(), Is.EqualTo("aion-worker"));
        Assert.That(template.GetProperty("identity").GetString(), Does.StartWith("Aion.Worker.Templates."));
        Assert.That(Directory.GetFiles(Content, sourceName + ".csproj", SearchOption.AllDirectories), Has.Length.EqualTo(1), "the worker project is named after the source name");
        Assert.That(Directory.GetFiles(Content, sourceName + ".Tests.csproj", SearchOption.AllDirectories), Has.Length.EqualTo(1), "and its test project");
        Assert.That(Directory.GetFiles(Content, sourceName + ".slnx"), Has.Length.EqualTo(1), "and the solution (the primary output)");
        foreach (var file in Directory.GetFiles(Content, "*.cs", SearchOption.AllDirectories))
        {
            Assert.That(File.ReadAllText(file).Replace(sourceName, string.Empty, StringComparison.Ordinal), Does.Not.Contain("AionWorker1"), file);
        }
    }

    [Test]
    public void The_source_name_is_no_part_of_an_Aion_API_name()
    {
        // dotnet new replaces every occurrence: a source name inside AddAionWorker would break the code.
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Content, ".template.config", "template.json")));
        var sourceName = json.RootElement.GetProperty("sourceName").GetString()!;
        var apiNames = new[] { "AionWorker", "AddAionWorker", "AionWorkerOptions", "AddAionWorkerInstrumentation", "AionWorkerBuilder" };

        Assert.That(apiNames.Where(name => name.Contains(sourceName, StringComparison.OrdinalIgnoreCase)), Is.Empty);
    }

    [Test]
    public void The_generated_projects_use_the_versions_the_repository_tests_with()
    {
        var central = XDocument.Load(Path.Combine(Root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!);
        var references = Directory.GetFiles(Content, "*.csproj", SearchOption.AllDirectories)
            .SelectMany(file => XDocument.Load(file).Descendants("PackageReference"))
            .Select(p => (Id: (string)p.Attribute("Include")!, Version: (string)p.Attribute("Version")!))
            .ToList();

        Assert.That(references.Where(r => r.Id.StartsWith("Aion.Worker", StringComparison.Ordinal)).Select(r => r.Version), Is.All.EqualTo("$(AionWorkerVersion)"));
        var shared = references.Where(r => central.ContainsKey(r.Id)).ToList();
        Assert.That(shared.Select(r => r.Id), Does.Contain("NUnit").And.Contain("Microsoft.NET.Test.Sdk").And.Contain("OpenTelemetry.Extensions.Hosting"));
        foreach (var (id, version) in shared)
        {
            Assert.That(version, Is.EqualTo(central[id]), $"{id}: the template and the repository use one version");
        }

        var props = File.ReadAllText(Path.Combine(Content, "Directory.Build.props"));
        Assert.That(props, Does.Contain("<AionWorkerVersion>AION_WORKER_VERSION</AionWorkerVersion>"), "the pack writes the packed version here");
    }

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
}
