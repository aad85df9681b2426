using Microsoft.Extensions.Options;

namespace Aion.Worker.Extensions.Hosting.Internal;

/// <summary>Validates one named worker's options whenever they are created.</summary>
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

/// <summary>The one startup validation of every hosted worker (a marker options type).</summary>
internal sealed class AionWorkersStartupValidation;

/// <summary>
/// Validates the options of every hosted worker at host start and throws one
/// <see cref="OptionsValidationException"/> listing every problem of every worker, rather than one
/// exception per worker wrapped in an <see cref="AggregateException"/>.
/// </summary>
internal sealed class AionWorkersStartupValidator(IOptionsMonitor<AionWorkerOptions> options, HostedWorkerDefinitions definitions) : IValidateOptions<AionWorkersStartupValidation>
{
    public ValidateOptionsResult Validate(string? name, AionWorkersStartupValidation marker)
    {
        var failures = new List<string>();
        var invalid = new List<string>();
        foreach (var definition in definitions.All)
        {
            try
            {
                _ = options.Get(definition.Name);
            }
            catch (OptionsValidationException ex)
            {
                invalid.Add(definition.Name);
                failures.AddRange(ex.Failures);
            }
        }

        if (failures.Count > 0)
        {
            // Thrown rather than returned, so the exception names the options type users know.
            throw new OptionsValidationException(invalid.Count == 1 ? invalid[0] : Options.DefaultName, typeof(AionWorkerOptions), failures);
        }

        return ValidateOptionsResult.Success;
    }
}
