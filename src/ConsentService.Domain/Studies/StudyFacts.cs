using ConsentService.Domain.Fhir;

namespace ConsentService.Domain.Studies;

/// <summary>
/// What the engine knows about one ImagingStudy version, as keys ready for set lookups ("system|code",
/// "Type/id", "system|value"). Built once per stored version by <see cref="StudyFactsExtractor"/>.
/// </summary>
public sealed class StudyFacts
{
    public StudyFacts(
        string id,
        string? uid,
        string? patientReference,
        IReadOnlyList<string> patientIdentifierKeys,
        IReadOnlyList<string> modalityKeys,
        IReadOnlyList<string> bodySiteKeys,
        IReadOnlyList<string> procedureCodeKeys,
        DateTimeOffset? started,
        IReadOnlyList<string> securityLabelKeys)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        Id = id;
        Uid = uid is not null && StudyUidKey.TryNormalize(uid, out var bare) ? bare : null;
        PatientReference = FhirReferences.NormaliseLiteral(patientReference);
        PatientIdentifierKeys = Distinct(patientIdentifierKeys);
        ModalityKeys = Distinct(modalityKeys);
        BodySiteKeys = Distinct(bodySiteKeys);
        ProcedureCodeKeys = Distinct(procedureCodeKeys);
        Started = started;
        SecurityLabelKeys = Distinct(securityLabelKeys);
        IdKey = FhirReferences.StudyIdKey(id);
        UidKey = Uid is null ? null : StudyUidKey.Of(Uid);
    }

    /// <summary>The ImagingStudy resource id.</summary>
    public string Id { get; }

    /// <summary>The bare DICOM Study Instance UID, when the study carries one.</summary>
    public string? Uid { get; }

    /// <summary>"Patient/&lt;id&gt;" from ImagingStudy.subject, normalised.</summary>
    public string? PatientReference { get; }

    /// <summary>Business identifiers of the patient ("system|value"), e.g. the MRN.</summary>
    public string[] PatientIdentifierKeys { get; }

    /// <summary>ImagingStudy.modality and every series.modality ("system|code").</summary>
    public string[] ModalityKeys { get; }

    /// <summary>Every series.bodySite ("system|code").</summary>
    public string[] BodySiteKeys { get; }

    /// <summary>Every coding of ImagingStudy.procedureCode ("system|code").</summary>
    public string[] ProcedureCodeKeys { get; }

    /// <summary>ImagingStudy.started (earliest instant it denotes).</summary>
    public DateTimeOffset? Started { get; }

    /// <summary>meta.security labels ("system|code").</summary>
    public string[] SecurityLabelKeys { get; }

    /// <summary>"ImagingStudy/&lt;id&gt;".</summary>
    public string IdKey { get; }

    /// <summary>"urn:dicom:uid|&lt;uid&gt;", the key a consent's data identifier compiles to.</summary>
    public string? UidKey { get; }

    private static string[] Distinct(IReadOnlyList<string> values) =>
        values.Where(v => !string.IsNullOrEmpty(v)).Distinct(StringComparer.Ordinal).ToArray();
}
