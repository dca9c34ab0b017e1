using ConsentService.Application.Decisions;
using ConsentService.Domain.Decisions;
using ConsentService.Domain.Policies;
using ConsentService.Domain.Terminology;
using Microsoft.Extensions.Options;

namespace ConsentService.Api.Configuration;

/// <summary>Configuration section <c>Decisions</c>.</summary>
public sealed class DecisionsOptions
{
    public const string Section = "Decisions";

    /// <summary><c>opt-in</c> (default: without a consent that speaks, deny) or <c>opt-out</c> (permit).</summary>
    public string DefaultPolicy { get; set; } = "opt-in";

    /// <summary>The version of the default policy reported with every decision; change it when the policy text changes.</summary>
    public string DefaultPolicyVersion { get; set; } = "1";

    /// <summary>Section <c>Decisions:FaceBearing</c>: which studies carry a face and so need defacing.</summary>
    public FaceBearingOptions FaceBearing { get; set; } = new();

    public DecisionSettings ToSettings()
    {
        var policy = DefaultPolicy == "opt-out"
            ? new DefaultPolicy("opt-out", DefaultPolicyVersion, Verdict.Permit)
            : new DefaultPolicy("opt-in", DefaultPolicyVersion, Verdict.Deny);
        var faceBearing = new FaceBearingSettings { Modalities = FaceBearing.Modalities, BodySites = FaceBearing.BodySites };
        return new DecisionSettings(policy, new DecisionEngine(new FaceBearingRule(faceBearing, BodySiteHierarchy.Default)));
    }
}

/// <summary>Face-bearing: these modalities (DICOM DCM codes) on these body sites (SNOMED CT codes, descendants included);
/// such a study with no body site at all counts as face-bearing too (fail safe).</summary>
public sealed class FaceBearingOptions
{
    public string[] Modalities { get; set; } = [.. FaceBearingSettings.Default.Modalities];

    public string[] BodySites { get; set; } = [.. FaceBearingSettings.Default.BodySites];
}

public sealed class DecisionsOptionsValidator : IValidateOptions<DecisionsOptions>
{
    public ValidateOptionsResult Validate(string? name, DecisionsOptions options)
    {
        var failures = new List<string>();
        if (options.DefaultPolicy is not ("opt-in" or "opt-out"))
        {
            failures.Add($"Decisions:DefaultPolicy must be 'opt-in' or 'opt-out'; '{options.DefaultPolicy}' is not a policy.");
        }
        if (string.IsNullOrWhiteSpace(options.DefaultPolicyVersion))
        {
            failures.Add("Decisions:DefaultPolicyVersion must not be empty.");
        }
        if (options.FaceBearing.Modalities.Length == 0 || options.FaceBearing.Modalities.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Decisions:FaceBearing:Modalities must list DICOM modality codes (e.g. CT, MR, PT).");
        }
        if (options.FaceBearing.BodySites.Length == 0 || options.FaceBearing.BodySites.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Decisions:FaceBearing:BodySites must list SNOMED CT body-site codes (e.g. 69536005 head).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
