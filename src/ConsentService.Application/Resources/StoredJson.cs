using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace ConsentService.Application.Resources;

/// <summary>
/// Parses JSON the store returns: written by this service after strict parsing and validation, so it is read in
/// recoverable mode and without re-validating every element (Firely's element validation was a large part of a
/// cohort's CPU, which parses every study it decides). The one deserializer for stored resources and AuditEvents.
/// </summary>
public static class StoredJson
{
    public static readonly FhirJsonDeserializer Deserializer = Create();

    public static Resource Parse(string json) => Deserializer.DeserializeResource(json);

    private static FhirJsonDeserializer Create()
    {
        var settings = new DeserializerSettings().UsingMode(DeserializationMode.Recoverable) with { Validator = null };
        return new FhirJsonDeserializer(settings);
    }
}
