namespace Aion.Worker;

/// <summary>Options of one activity registration (the optional last argument of every <c>AddActivity</c> overload).</summary>
public sealed class ActivityOptions
{
    /// <summary>Whether a JSON <c>null</c> input is passed to the handler.</summary>
    /// <value>
    /// Default <see langword="false"/>: the input type decides. A value type accepts null only as
    /// <see cref="Nullable{T}"/> (and <see cref="System.Text.Json.JsonElement"/>, as a Null element); a
    /// reference type only when it is <see cref="object"/>, <see cref="System.Text.Json.Nodes.JsonNode"/>
    /// or <see cref="Protocol.Payload"/>. For any other type a JSON <c>null</c> input is reported TERMINAL,
    /// naming the type, before the handler runs. Set <see langword="true"/> for a reference type whose
    /// handler takes null (nullable annotations such as <c>string?</c> are not visible at run time).
    /// </value>
    public bool AcceptsNullInput { get; init; }
}
