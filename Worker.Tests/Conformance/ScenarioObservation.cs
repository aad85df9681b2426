using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aion.Worker.Protocol;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Conformance;

/// <summary>
/// What the fake engine observed in one conformance scenario, normalized so the line is stable
/// across runs: workflow ids become <c>wf-1</c>, <c>wf-2</c>… by first appearance, payloads are
/// re-serialized compactly, and only progress heartbeats are kept (automatic liveness beats depend
/// on timing).
/// </summary>
public sealed class ScenarioObservation
{
    public const string LinePrefix = "AION_WORKER_CONFORMANCE";

    // Compact, and non-ASCII text kept readable (the line is for logs, not for HTML).
    private static readonly JsonSerializerOptions LineOptions = new() { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public required string Scenario { get; init; }

    public required IReadOnlyList<Registration> Registrations { get; init; }

    public required IReadOnlyList<Report> Reports { get; init; }

    public required IReadOnlyList<Failure> Failures { get; init; }

    public required IReadOnlyList<ProgressBeat> Heartbeats { get; init; }

    /// <summary>The most fixture activities running at once, when known (in process, or from the runner's STOPPED line).</summary>
    public int? PeakConcurrency { get; init; }

    public bool CancellationObserved { get; init; }

    /// <summary>Whether the harness had to kill the runner process.</summary>
    public bool ForcedTermination { get; init; }

    public static ScenarioObservation From(
        string scenario,
        InMemoryEngine engine,
        int? peakConcurrency = null,
        bool cancellationObserved = false,
        bool forcedTermination = false,
        IEnumerable<string>? dispatchOrder = null,
        bool sortReports = false)
    {
        var workflows = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var workflowId in dispatchOrder ?? [])
        {
            // Numbered in dispatch order when the finish order is not part of the scenario.
            workflows.TryAdd(workflowId, $"wf-{workflows.Count + 1}");
        }

        string Normalize(string workflowId)
        {
            if (!workflows.TryGetValue(workflowId, out var name))
            {
                workflows[workflowId] = name = $"wf-{workflows.Count + 1}";
            }

            return name;
        }

        var registrations = engine.Registrations
            .Select((r, i) => new Registration([.. r.Namespaces], [.. r.ActivityTypes], AfterReconnect: i > 0))
            .ToList();

        // Results and progress heartbeats in arrival order, so workflow ids are numbered by first appearance.
        var frames = engine.Results.Select(r => (r.Sequence, Result: (ReceivedResult?)r, Beat: (ReceivedHeartbeat?)null))
            .Concat(engine.Heartbeats.Where(h => h.HasProgress).Select(h => (h.Sequence, Result: (ReceivedResult?)null, Beat: (ReceivedHeartbeat?)h)))
            .OrderBy(f => f.Sequence);
        var reports = new List<Report>();
        var failures = new List<Failure>();
        var beats = new List<ProgressBeat>();
        var reported = new HashSet<(string, ulong)>();
        foreach (var (_, received, beat) in frames)
        {
            if (beat is not null)
            {
                beats.Add(new ProgressBeat(Normalize(beat.WorkflowId), beat.Position, Json(beat.Heartbeat.Progress)));
                continue;
            }

            var result = received!.Result;
            var workflow = Normalize(received.WorkflowId);
            var reReport = !reported.Add((received.WorkflowId, received.Position));
            if (result.OutcomeCase == ActivityResult.OutcomeOneofCase.Result)
            {
                reports.Add(new Report(workflow, received.Position, "completed", result.Result.ContentType, Json(result.Result), reReport));
            }
            else
            {
                var error = result.Error;
                var kind = error.Kind switch
                {
                    ActivityErrorKind.Retryable => "RETRYABLE",
                    ActivityErrorKind.Terminal => "TERMINAL",
                    _ => error.Kind.ToString(),
                };
                reports.Add(new Report(workflow, received.Position, "failed", error.Details?.ContentType, Json(error.Details), reReport));
                failures.Add(new Failure(workflow, received.Position, kind, error.Message, Json(error.Details)));
            }
        }

        if (sortReports)
        {
            reports = [.. reports.OrderBy(r => r.ActivityId).ThenBy(r => r.ReReport)];
            failures = [.. failures.OrderBy(f => f.ActivityId)];
        }

        return new ScenarioObservation
        {
            Scenario = scenario,
            Registrations = registrations,
            Reports = reports,
            Failures = failures,
            Heartbeats = beats,
            PeakConcurrency = peakConcurrency,
            CancellationObserved = cancellationObserved,
            ForcedTermination = forcedTermination,
        };
    }

    /// <summary>The observation as one line of compact JSON.</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["sdk"] = "csharp",
            ["scenario"] = Scenario,
            ["registrations"] = new JsonArray([.. Registrations.Select(r => (JsonNode)new JsonObject
            {
                ["namespaces"] = new JsonArray([.. r.Namespaces.Select(n => (JsonNode?)JsonValue.Create(n))]),
                ["activity_types"] = new JsonArray([.. r.ActivityTypes.Select(t => (JsonNode?)JsonValue.Create(t))]),
                ["after_reconnect"] = r.AfterReconnect,
            })]),
            ["reports"] = new JsonArray([.. Reports.Select(r => (JsonNode)new JsonObject
            {
                ["workflow_id"] = r.WorkflowId,
                ["activity_id"] = r.ActivityId,
                ["outcome"] = r.Outcome,
                ["content_type"] = r.ContentType,
                ["json"] = r.Json?.DeepClone(),
                ["re_report"] = r.ReReport,
            })]),
            ["failures"] = new JsonArray([.. Failures.Select(f => (JsonNode)new JsonObject
            {
                ["workflow_id"] = f.WorkflowId,
                ["activity_id"] = f.ActivityId,
                ["wire_kind"] = f.WireKind,
                ["message"] = f.Message,
                ["details"] = f.Details?.DeepClone(),
            })]),
            ["heartbeats"] = new JsonArray([.. Heartbeats.Select(h => (JsonNode)new JsonObject
            {
                ["workflow_id"] = h.WorkflowId,
                ["activity_id"] = h.ActivityId,
                ["progress"] = h.Progress?.DeepClone(),
            })]),
            ["peak_concurrency"] = PeakConcurrency,
            ["cancellation_observed"] = CancellationObserved,
            ["forced_termination"] = ForcedTermination,
        };
        return root.ToJsonString(LineOptions);
    }

    /// <summary>The scenario's log line: <c>AION_WORKER_CONFORMANCE sdk=csharp scenario=&lt;id&gt; result=&lt;json&gt;</c>.</summary>
    public string ToLine() => $"{LinePrefix} sdk=csharp scenario={Scenario} result={ToJson()}";

    /// <summary>Prints <see cref="ToLine"/> where the test log keeps it.</summary>
    public void Print() => TestContext.Progress.WriteLine(ToLine());

    private static JsonNode? Json(Payload? payload)
    {
        if (payload is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(payload.Bytes.Span);
        }
        catch (JsonException)
        {
            // Not JSON: keep the text so the line still shows what arrived.
            return JsonValue.Create(Encoding.UTF8.GetString(payload.Bytes.Span));
        }
    }

    public sealed record Registration(IReadOnlyList<string> Namespaces, IReadOnlyList<string> ActivityTypes, bool AfterReconnect);

    /// <summary>A result frame: <c>outcome</c> is <c>completed</c> or <c>failed</c>; <c>json</c> is the result (or the error details).</summary>
    public sealed record Report(string WorkflowId, ulong ActivityId, string Outcome, string? ContentType, JsonNode? Json, bool ReReport);

    public sealed record Failure(string WorkflowId, ulong ActivityId, string WireKind, string Message, JsonNode? Details);

    public sealed record ProgressBeat(string WorkflowId, ulong ActivityId, JsonNode? Progress);
}
