using ConsentService.Domain.Fhir;

namespace ConsentService.Application.Decisions;

/// <summary>How a request names a study: by DICOM Study Instance UID (bare or urn:oid:) or as ImagingStudy/&lt;id&gt;.</summary>
public readonly record struct StudyReference(string? Uid, string? ImagingStudyId)
{
    private const string Prefix = "ImagingStudy/";

    public static bool TryParse(string? text, out StudyReference reference)
    {
        reference = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        if (text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var id = text[Prefix.Length..];
            if (!FhirReferences.IsId(id))
            {
                return false;
            }
            reference = new StudyReference(null, id);
            return true;
        }
        if (StudyUidKey.TryNormalize(text, out var uid))
        {
            reference = new StudyReference(uid, null);
            return true;
        }
        return false;
    }

    public override string ToString() => Uid ?? Prefix + ImagingStudyId;
}
