using Microsoft.Extensions.Options;

namespace Aion.Worker.Extensions.Hosting.Internal;

/// <summary>Validates every named worker's options at host start, reporting every problem at once.</summary>
internal sealed class AionWorkerOptionsValidator : IValidateOptions<AionWorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, AionWorkerOptions options)
    {
        var problems = options.Validate();
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(problem => $"Aion worker '{name}': {problem}"));
    }
}
