using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConsentService.Infrastructure;

/// <summary>Writes <c>meta.versionId</c> and <c>meta.lastUpdated</c> into a resource's JSON without a FHIR
/// parser (other meta fields and all other content are kept).</summary>
internal static class ResourceMetaStamp
{
    private static readonly JsonSerializerOptions Output = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Apply(string json, int versionId, DateTimeOffset lastUpdated)
    {
        if (JsonNode.Parse(json) is not JsonObject resource)
            throw new ArgumentException("A resource must be a JSON object.", nameof(json));
        if (resource["meta"] is not JsonObject meta)
        {
            meta = new JsonObject();
            resource["meta"] = meta;
        }
        meta["versionId"] = versionId.ToString(CultureInfo.InvariantCulture);
        meta["lastUpdated"] = FormatInstant(lastUpdated);
        return resource.ToJsonString(Output);
    }

    /// <summary>ISO-8601 instant in UTC with "Z" and microsecond precision (the precision the store keeps).</summary>
    public static string FormatInstant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
