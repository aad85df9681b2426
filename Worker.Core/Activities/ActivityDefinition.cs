using Aion.Worker.Internal.Activities;

namespace Aion.Worker;

/// <summary>
/// One activity registration: its type name, its handler and how it reads its input and writes its
/// result. Made by the <c>AddActivity</c> overloads of <see cref="ActivityRegistrationBuilder{TBuilder}"/>;
/// a builder that collects definitions (as the hosting package's does) hands them on with
/// <see cref="ActivityRegistrationBuilder{TBuilder}.AddActivity(ActivityDefinition)"/>.
/// </summary>
public sealed class ActivityDefinition
{
    internal ActivityDefinition(string activityType, ActivityInvoker invoker)
    {
        ArgumentException.ThrowIfNullOrEmpty(activityType);
        ActivityType = activityType;
        Invoker = invoker;
    }

    /// <summary>The activity type the engine dispatches.</summary>
    public string ActivityType { get; }

    /// <summary>The handler's input type.</summary>
    public Type InputType => Invoker.InputType;

    /// <summary>The handler's result type.</summary>
    public Type OutputType => Invoker.OutputType;

    /// <summary>Whether a JSON <c>null</c> input reaches the handler; see <see cref="ActivityOptions.AcceptsNullInput"/>.</summary>
    public bool AcceptsNullInput => Invoker.AcceptsNullInput;

    /// <summary>Whether executions run inline, on the thread that starts them; see <see cref="ActivityOptions.RunInline"/>.</summary>
    public bool RunInline => Invoker.RunsInline;

    internal ActivityInvoker Invoker { get; }

    /// <inheritdoc />
    public override string ToString() => $"{ActivityType} ({InputType.Name} -> {OutputType.Name})";
}
