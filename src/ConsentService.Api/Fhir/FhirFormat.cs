using Microsoft.Net.Http.Headers;

namespace ConsentService.Api.Fhir;

public enum FhirFormat { Json, Xml }

/// <summary>Content negotiation for the FHIR surface: <c>_format</c> wins, then Accept, then JSON.</summary>
public static class FhirFormats
{
    public const string FhirJson = "application/fhir+json";
    public const string FhirXml = "application/fhir+xml";

    public static FhirFormat? FromMediaType(string? mediaType)
    {
        if (string.IsNullOrWhiteSpace(mediaType))
        {
            return null;
        }
        var type = mediaType.Split(';', 2)[0].Trim().ToLowerInvariant();
        return type switch
        {
            FhirJson or "application/json" or "json" or "text/json" or "application/json+fhir" => FhirFormat.Json,
            FhirXml or "application/xml" or "text/xml" or "xml" or "application/xml+fhir" => FhirFormat.Xml,
            _ => null,
        };
    }

    /// <summary>The format of the response.</summary>
    public static FhirFormat ForResponse(HttpRequest request)
    {
        if (request.Query.TryGetValue("_format", out var format) && FromMediaType(format.ToString()) is { } chosen)
        {
            return chosen;
        }
        foreach (var accept in request.GetTypedHeaders().Accept.OrderByDescending(a => a.Quality ?? 1.0))
        {
            if (FromMediaType(accept.MediaType.Value) is { } fromAccept)
            {
                return fromAccept;
            }
        }
        return FhirFormat.Json;
    }

    public static string ContentType(FhirFormat format) =>
        (format == FhirFormat.Xml ? FhirXml : FhirJson) + "; charset=utf-8";

    /// <summary>The format of a request body; null for a media type this server does not read (415).</summary>
    public static FhirFormat? ForRequestBody(HttpRequest request) =>
        string.IsNullOrEmpty(request.ContentType) ? FhirFormat.Json : FromMediaType(request.ContentType);
}
