namespace ConsentService.Domain.Fhir;

/// <summary>Canonical URLs of the code systems the engine reasons about.</summary>
public static class CodeSystems
{
    public const string ActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    public const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    public const string ConsentAction = "http://terminology.hl7.org/CodeSystem/consentaction";
    public const string ConsentScope = "http://terminology.hl7.org/CodeSystem/consentscope";
    public const string Dicom = "http://dicom.nema.org/resources/ontology/DCM";
    public const string Snomed = "http://snomed.info/sct";
    public const string ResourceTypes = "http://hl7.org/fhir/resource-types";
    public const string DicomUid = "urn:dicom:uid";
}

/// <summary>
/// One string per coded fact ("system|code"), so that matching is a set lookup of interned keys and the hot
/// path never compares structured codings.
/// </summary>
public static class CodeKey
{
    public static string Of(string? system, string code) => string.Concat(system ?? string.Empty, "|", code);
}
