using System.Text.Json;
using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;

namespace ConsentService.Domain.Studies;

/// <summary>Turns an ImagingStudy into <see cref="StudyFacts"/> (once per stored version, never per decision): from the
/// Firely POCO (<see cref="Extract"/>), or from the stored FHIR JSON without Firely (<see cref="FromJson"/>), which
/// decision paths use (a cohort reads every matching study's JSON). Both give the same facts; a test proves it.</summary>
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

    /// <summary>The facts of an ImagingStudy version from its FHIR R4 JSON as the store keeps it (validated when it was
    /// written), read with System.Text.Json: the same elements <see cref="Extract"/> reads from the POCO.</summary>
    public static StudyFacts FromJson(string json, string id)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        var study = document.RootElement;
        if (Text(study, "resourceType") != "ImagingStudy")
            throw new ArgumentException("The JSON is not an ImagingStudy.", nameof(json));
        var uid = StudyUidKey.Of(Items(study, "identifier").Select(i => (Text(i, "system"), Text(i, "value")))) is [var first, ..] ? first : null;
        var modalities = new List<string>();
        foreach (var coding in Items(study, "modality")) AddCoding(modalities, coding, CodeSystems.Dicom);
        var bodySites = new List<string>();
        foreach (var series in Items(study, "series"))
        {
            if (series.TryGetProperty("modality", out var modality)) AddCoding(modalities, modality, CodeSystems.Dicom);
            if (series.TryGetProperty("bodySite", out var bodySite)) AddCoding(bodySites, bodySite, CodeSystems.Snomed);
        }
        var procedures = new List<string>();
        foreach (var concept in Items(study, "procedureCode"))
            foreach (var coding in Items(concept, "coding")) AddCoding(procedures, coding, null);
        var labels = new List<string>();
        if (study.TryGetProperty("meta", out var meta))
            foreach (var coding in Items(meta, "security")) AddCoding(labels, coding, null);

        string? subjectReference = null;
        IReadOnlyList<string> patientIdentifiers = [];
        if (study.TryGetProperty("subject", out var subject))
        {
            subjectReference = Text(subject, "reference");
            if (subject.TryGetProperty("identifier", out var identifier)
                && FhirReferences.IdentifierKey(Text(identifier, "system"), Text(identifier, "value")) is { } key)
            {
                patientIdentifiers = [key];
            }
        }
        return new StudyFacts(id, uid, subjectReference, patientIdentifiers, modalities, bodySites, procedures,
            FhirDateRange.StartOf(Text(study, "started")), labels);
    }

    internal static IReadOnlyList<string> IdentifierKeys(ResourceReference? reference) =>
        FhirReferences.IdentifierKey(reference?.Identifier?.System, reference?.Identifier?.Value) is { } key ? [key] : [];

    private static void AddCoding(List<string> keys, Coding? coding, string? defaultSystem)
    {
        if (coding is not null) AddCoding(keys, coding.System, coding.Code, defaultSystem);
    }

    private static void AddCoding(List<string> keys, JsonElement coding, string? defaultSystem) =>
        AddCoding(keys, Text(coding, "system"), Text(coding, "code"), defaultSystem);

    private static void AddCoding(List<string> keys, string? system, string? code, string? defaultSystem)
    {
        if (string.IsNullOrWhiteSpace(code)) return;
        keys.Add(CodeKey.Of(string.IsNullOrWhiteSpace(system) ? defaultSystem : system, code.Trim()));
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static IEnumerable<JsonElement> Items(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : [];
}
