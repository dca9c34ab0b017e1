using System.Text.Json.Nodes;
using ConsentService.Application.Ports;
using ConsentService.Application.Search;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace ConsentService.Application.Tests.Audit;

/// <summary>What every directly written AuditEvent must prove against the event the Firely model gives.</summary>
internal static class AuditEventAssert
{
    /// <summary><paramref name="fhirJson"/> is exactly <paramref name="model"/>'s JSON, <paramref name="index"/> exactly
    /// its index entries, and the JSON parses strictly as R4 with those same entries. Returns the parsed event.</summary>
    public static AuditEvent SameAsModel(AuditRecord model, string fhirJson, IReadOnlyList<SearchIndexEntry> index)
    {
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(model.Json), JsonNode.Parse(fhirJson)), $"{fhirJson}\n!=\n{model.Json}");
        Assert.Equal(Keys(model.Index), Keys(index));
        var parsed = (AuditEvent)FhirJsonDeserializer.STRICT.DeserializeResource(fhirJson);
        Assert.Equal(Keys(index), Keys(SearchIndexer.Extract(parsed)));
        return parsed;
    }

    public static IEnumerable<string> Keys(IEnumerable<SearchIndexEntry> entries) =>
        entries.Select(e => $"{e.Parameter}|{e.Type}|{e.System}|{e.Value}|{e.Low?.UtcTicks}|{e.High?.UtcTicks}").Order();
}
