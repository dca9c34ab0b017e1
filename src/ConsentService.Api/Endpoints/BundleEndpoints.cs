using ConsentService.Api.Configuration;
using ConsentService.Api.Errors;
using ConsentService.Api.Fhir;
using ConsentService.Application;
using ConsentService.Api.Security;
using ConsentService.Application.Bundles;
using ConsentService.Application.Security;
using Hl7.Fhir.Model;
using MediatR;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace ConsentService.Api.Endpoints;

/// <summary><c>POST /fhir</c>: transaction (all or nothing) and batch (per entry) bundles, for bulk loads.</summary>
public static class BundleEndpoints
{
    public static IEndpointRouteBuilder MapBundleApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/fhir", async (HttpContext context, IMediator mediator, IOptions<FhirOptions> options, CancellationToken ct) =>
            {
                var limit = options.Value.MaxBundleBytes;
                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                {
                    size.MaxRequestBodySize = limit;
                }
                var format = FhirFormats.ForRequestBody(context.Request)
                    ?? throw new UnsupportedMediaTypeException($"Content-Type '{context.Request.ContentType}' is not supported; use {FhirFormats.FhirJson} or {FhirFormats.FhirXml}.");
                var body = await RequestBody.ReadAsync(context.Request, limit, ct);
                if (FhirSerialization.ParseRequestBody(body, format) is not Bundle bundle)
                {
                    throw new BadRequestException("POST /fhir expects a Bundle (transaction or batch).");
                }
                var result = await mediator.Send(new ProcessBundleCommand(bundle), ct);
                return FhirResponses.Poco(Response(context.Request, result));
            })
            .RequireScope(EntryScopes.Bundle)
            .WithTags("FHIR").WithName("transaction")
            .WithSummary("Process a transaction (all or nothing) or batch (per entry) Bundle of Consent and ImagingStudy writes.")
            .WithDescription("Up to 10,000 entries; POST (with ifNoneExist), PUT (with ifMatch) and DELETE; urn:uuid references are "
                + "resolved within a transaction. Bodies up to Fhir:MaxBundleBytes (default 64 MiB). "
                + "Prefer: return=representation includes each stored resource in the response.")
            .WithMetadata(new FhirResourceBody("Bundle"))
            .Produces(200, contentType: FhirFormats.FhirJson, additionalContentTypes: [FhirFormats.FhirXml])
            .Produces(400, contentType: FhirFormats.FhirJson).Produces(409, contentType: FhirFormats.FhirJson)
            .Produces(412, contentType: FhirFormats.FhirJson).Produces(413, contentType: FhirFormats.FhirJson)
            .Produces(422, contentType: FhirFormats.FhirJson);
        return app;
    }

    private static Bundle Response(HttpRequest request, BundleResult result)
    {
        var withResources = request.Headers["Prefer"].Any(p => p is not null && p.Contains("return=representation", StringComparison.OrdinalIgnoreCase));
        var baseUrl = FhirResponses.BaseUrl(request);
        var response = new Bundle { Type = result.Type, Id = Guid.NewGuid().ToString(), Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        foreach (var entry in result.Entries)
        {
            var component = new Bundle.EntryComponent { Response = new Bundle.ResponseComponent() };
            if (entry.Error is { } error)
            {
                var (status, code) = ApiExceptionHandler.Classify(error);
                component.Response.Status = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                component.Response.Outcome = Outcomes.From(code, ApiExceptionHandler.IssuesOf(error, status));
            }
            else if (entry.Resource is { } stored)
            {
                component.FullUrl = $"{baseUrl}/{stored.ResourceType}/{stored.Id}";
                component.Response.Status = stored.IsDeleted ? "204 No Content" : entry.Created ? "201 Created" : "200 OK";
                component.Response.Location = $"{stored.ResourceType}/{stored.Id}/_history/{stored.VersionId}";
                component.Response.Etag = FhirResponses.ETag(stored.VersionId);
                component.Response.LastModified = stored.LastUpdated;
                if (withResources && !stored.IsDeleted)
                {
                    component.Resource = FhirSerialization.ParseStored(stored.Json);
                }
            }
            else
            {
                component.Response.Status = "204 No Content"; // a delete of a resource that was already gone
            }
            response.Entry.Add(component);
        }
        return response;
    }
}
