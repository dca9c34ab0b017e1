using ConsentService.Application.Ports;
using ConsentService.Application.Search;
using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace ConsentService.Application.Resources;

/// <summary>Turns a validated resource into the store's write: wire JSON, the search index entries extracted
/// from it at write time, and its unique keys (one ImagingStudy per DICOM Study Instance UID).</summary>
internal static class ResourceWriteFactory
{
    public static ResourceWrite Build(Resource resource, string id, int? ifMatchVersion)
    {
        resource.Id = id;
        if (resource.Meta is { } meta)
        {
            // The store owns version and timestamp; whatever the client sent is replaced.
            meta.VersionId = null;
            meta.LastUpdated = null;
        }
        var json = FhirJsonSerializer.Default.SerializeToString(resource);
        var index = SearchIndexer.Extract(resource);
        IReadOnlyList<string> uniqueKeys = resource is ImagingStudy study ? StudyUidKey.For(study) : [];
        return new ResourceWrite(resource.TypeName, id, json, index, uniqueKeys, ifMatchVersion);
    }
}
