namespace ConsentService.Domain.Fhir;

/// <summary>Normalises FHIR references and DICOM UIDs into the keys the matchers compare.</summary>
public static class FhirReferences
{
    private const string OidPrefix = "urn:oid:";

    /// <summary>
    /// "Patient/1", "http://host/fhir/Patient/1" and "Patient/1/_history/3" all become "Patient/1"; a value that
    /// is not a Type/id reference is returned trimmed and unchanged.
    /// </summary>
    public static string? NormaliseLiteral(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference)) return null;
        var value = reference.Trim();
        var history = value.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0) value = value[..history];
        var last = value.LastIndexOf('/');
        if (last <= 0) return value;
        var previous = value.LastIndexOf('/', last - 1);
        return previous < 0 ? value : value[(previous + 1)..];
    }

    /// <summary>Identifier key "system|value", or null when either part is missing.</summary>
    public static string? IdentifierKey(string? system, string? value) =>
        string.IsNullOrWhiteSpace(system) || string.IsNullOrWhiteSpace(value) ? null : CodeKey.Of(system.Trim(), value.Trim());

    /// <summary>A DICOM UID given bare or as urn:oid:&lt;uid&gt; becomes the bare UID.</summary>
    public static string? BareUid(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var trimmed = value.Trim();
        return trimmed.StartsWith(OidPrefix, StringComparison.OrdinalIgnoreCase) ? trimmed[OidPrefix.Length..] : trimmed;
    }

    /// <summary>The key a study is known by through its Study Instance UID.</summary>
    public static string StudyUidKey(string bareUid) => CodeKey.Of(CodeSystems.DicomUid, bareUid);

    public static string StudyIdKey(string id) => "ImagingStudy/" + id;
}
