namespace ConsentService.Application.Resources;

/// <summary>The resource types this server stores through the generic FHIR interactions.</summary>
public static class SupportedResources
{
    public const string Consent = "Consent";
    public const string ImagingStudy = "ImagingStudy";

    /// <summary>Types with the full read/write interaction set (AuditEvent has its own, immutable one).</summary>
    public static readonly IReadOnlyList<string> Writable = [Consent, ImagingStudy];

    public static bool IsWritable(string resourceType) => resourceType is Consent or ImagingStudy;
}

/// <summary>The result of a create or update: the stored version and whether this call created the resource.</summary>
public sealed record WriteOutcome(Ports.StoredResource Resource, bool Created);
