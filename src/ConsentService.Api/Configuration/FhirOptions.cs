using Microsoft.Extensions.Options;

namespace ConsentService.Api.Configuration;

/// <summary>Configuration section <c>Fhir</c>.</summary>
public sealed class FhirOptions
{
    public const string Section = "Fhir";

    /// <summary>Largest body accepted by <c>POST /fhir</c> (transaction and batch bundles). Other endpoints keep 10 MiB.</summary>
    public long MaxBundleBytes { get; set; } = 64L * 1024 * 1024;
}

public sealed class FhirOptionsValidator : IValidateOptions<FhirOptions>
{
    public ValidateOptionsResult Validate(string? name, FhirOptions options) =>
        options.MaxBundleBytes is >= 1024 * 1024 and <= 1024L * 1024 * 1024
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Fhir:MaxBundleBytes must be between 1 MiB and 1 GiB.");
}
