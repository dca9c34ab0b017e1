using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;

namespace ConsentService.Domain.Studies;

/// <summary>Turns an ImagingStudy POCO into <see cref="StudyFacts"/> (once per stored version, never per decision).</summary>
public static class StudyFactsExtractor
{
    public static StudyFacts Extract(ImagingStudy study, string id)
    {
        ArgumentNullException.ThrowIfNull(study);
        var modalities = new List<string>();
        foreach (var coding in study.Modality) AddCoding(modalities, coding, CodeSystems.Dicom);
        var bodySites = new List<string>();
        foreach (var series in study.Series)
        {
            AddCoding(modalities, series.Modality, CodeSystems.Dicom);
            AddCoding(bodySites, series.BodySite, CodeSystems.Snomed);
        }
        var procedures = new List<string>();
        foreach (var concept in study.ProcedureCode)
            foreach (var coding in concept.Coding) AddCoding(procedures, coding, null);
        var labels = new List<string>();
        foreach (var coding in study.Meta?.Security ?? []) AddCoding(labels, coding, null);

        return new StudyFacts(
            id,
            StudyUidKey.For(study) is [var uid, ..] ? uid : null,
            study.Subject?.Reference,
            IdentifierKeys(study.Subject),
            modalities,
            bodySites,
            procedures,
            FhirDateRange.StartOf(study.Started),
            labels);
    }

    internal static IReadOnlyList<string> IdentifierKeys(ResourceReference? reference) =>
        FhirReferences.IdentifierKey(reference?.Identifier?.System, reference?.Identifier?.Value) is { } key ? [key] : [];

    private static void AddCoding(List<string> keys, Coding? coding, string? defaultSystem)
    {
        if (coding is null || string.IsNullOrWhiteSpace(coding.Code)) return;
        keys.Add(CodeKey.Of(string.IsNullOrWhiteSpace(coding.System) ? defaultSystem : coding.System, coding.Code.Trim()));
    }
}
