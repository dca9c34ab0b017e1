using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;
using SearchParamType = ConsentService.Application.Ports.SearchParamType;

namespace ConsentService.Application.Search;

/// <summary>ImagingStudy search parameters of FHIR R4 that this service supports.</summary>
internal static class ImagingStudySearchParameters
{
    public static ResourceSearchParameters<ImagingStudy> All { get; } = new ResourceSearchParameters<ImagingStudy>("ImagingStudy")
        .Add("identifier", SearchParamType.Token, "ImagingStudy.identifier",
            "Identifiers for the Study, such as DICOM Study Instance UID and Accession number",
            (s, x) => x.Identifiers(s.Identifier, AddStudyUidSearchForms))
        // "where(resolve() is Patient)" without resolving anything: the type comes from the literal reference
        // ("Patient/123", also absolute) or, for an identifier-only reference, from Reference.type.
        .Add("patient", SearchParamType.Reference, "ImagingStudy.subject.where(resolve() is Patient)", "Who the study is about",
            (s, x) => x.Reference(s.Subject, requiredType: "Patient"), "Patient")
        .Add("subject", SearchParamType.Reference, "ImagingStudy.subject", "Who the study is about",
            (s, x) => x.Reference(s.Subject), "Device", "Group", "Patient")
        .Add("modality", SearchParamType.Token, "ImagingStudy.series.modality", "The modality of the series",
            (s, x) => x.Codings(s.Series, series => series.Modality))
        .Add("bodysite", SearchParamType.Token, "ImagingStudy.series.bodySite", "The body site studied",
            (s, x) => x.Codings(s.Series, series => series.BodySite))
        .Add("started", SearchParamType.Date, "ImagingStudy.started", "When the study was started",
            (s, x) => x.Date(s.StartedElement));

    /// <summary>Indexes a DICOM UID identifier under both spellings, so that <c>identifier=urn:dicom:uid|urn:oid:1.2.3</c>
    /// and <c>identifier=urn:dicom:uid|1.2.3</c> both find it, whichever spelling the study used.</summary>
    private static void AddStudyUidSearchForms(Identifier identifier, IndexCollector collector)
    {
        if (identifier.System != StudyUidKey.DicomUidSystem || !StudyUidKey.TryNormalize(identifier.Value, out var uid)) return;
        collector.Token(StudyUidKey.DicomUidSystem, uid);
        collector.Token(StudyUidKey.DicomUidSystem, StudyUidKey.OidPrefix + uid);
    }
}
