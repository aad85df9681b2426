namespace Aion.Worker.Internal.Stages;

/// <summary>One stage of a run, with the name errors give it and the once-per-session failure log latch.</summary>
internal sealed class StageSlot<TStage>(TStage stage, bool owned)
    where TStage : class
{
    private long _loggedSession = -1;

    public TStage Stage { get; } = stage;

    /// <summary>The stage's type name, as failures name it.</summary>
    public string Name { get; } = stage.GetType().Name;

    /// <summary>Whether the run created the stage (and disposes it at its end).</summary>
    public bool Owned { get; } = owned;

    /// <summary>True the first time a failure of this stage is seen on <paramref name="sessionId"/>: it is logged once per stage per session.</summary>
    public bool ShouldLog(long sessionId) => Interlocked.Exchange(ref _loggedSession, sessionId) != sessionId;
}
