using System.Globalization;
using ConsentService.Application.Ports;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace ConsentService.Api.Fhir;

/// <summary>Writes FHIR responses (resources, bundles, outcomes) in the negotiated format with FHIR headers.</summary>
public static class FhirResponses
{
    public static string ETag(int versionId) => $"W/\"{versionId.ToString(CultureInfo.InvariantCulture)}\"";

    public static string VersionUrl(HttpRequest request, StoredResource stored) =>
        $"{BaseUrl(request)}/{stored.ResourceType}/{stored.Id}/_history/{stored.VersionId.ToString(CultureInfo.InvariantCulture)}";

    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}/fhir";

    /// <summary>A stored version with ETag and Last-Modified; honours Prefer: return=minimal.</summary>
    public static IResult Resource(StoredResource stored, int status, bool withLocation = false) => new FhirResult(async context =>
    {
        var response = context.Response;
        response.StatusCode = status;
        response.Headers.ETag = ETag(stored.VersionId);
        response.Headers.LastModified = stored.LastUpdated.ToString("R", CultureInfo.InvariantCulture);
        if (withLocation)
        {
            response.Headers.Location = VersionUrl(context.Request, stored);
        }
        if (PrefersMinimal(context.Request))
        {
            return;
        }
        var format = FhirFormats.ForResponse(context.Request);
        response.ContentType = FhirFormats.ContentType(format);
        await response.WriteAsync(FhirSerialization.FromStored(stored.Json, format)).ConfigureAwait(false);
    });

    /// <summary>Any FHIR object (Bundle, CapabilityStatement, OperationOutcome).</summary>
    public static IResult Poco(Base value, int status = StatusCodes.Status200OK) => new FhirResult(context =>
    {
        context.Response.StatusCode = status;
        return WriteAsync(context, value);
    });

    public static Task WriteOutcomeAsync(HttpContext context, OperationOutcome outcome) => WriteAsync(context, outcome);

    private static Task WriteAsync(HttpContext context, Base value)
    {
        var format = FhirFormats.ForResponse(context.Request);
        context.Response.ContentType = FhirFormats.ContentType(format);
        return context.Response.WriteAsync(FhirSerialization.Serialize(value, format));
    }

    private static bool PrefersMinimal(HttpRequest request) =>
        request.Headers["Prefer"].Any(p => p is not null && p.Contains("return=minimal", StringComparison.OrdinalIgnoreCase));

    public static bool PrefersStrict(HttpRequest request) =>
        request.Headers["Prefer"].Any(p => p is not null && p.Contains("handling=strict", StringComparison.OrdinalIgnoreCase));

    private sealed class FhirResult(Func<HttpContext, System.Threading.Tasks.Task> write) : IResult
    {
        public System.Threading.Tasks.Task ExecuteAsync(HttpContext httpContext) => write(httpContext);
    }
}
