using System.Globalization;
using System.Reflection;
using ConsentService.Api.Errors;
using ConsentService.Api.Fhir;
using ConsentService.Api.Security;
using ConsentService.Application;
using ConsentService.Application.Ports;
using ConsentService.Application.Resources;
using ConsentService.Application.Security;
using ConsentService.Domain.Fhir;
using MediatR;
using Microsoft.AspNetCore.Mvc;

namespace ConsentService.Api.Endpoints;

/// <summary>The FHIR REST surface under /fhir: each interaction parses and negotiates, then sends one MediatR request.</summary>
public static class FhirEndpoints
{
    private const string FhirJson = FhirFormats.FhirJson;
    private const string FhirXml = FhirFormats.FhirXml;

    public static IEndpointRouteBuilder MapFhirApi(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup("/fhir").WithTags("FHIR");
        fhir.MapGet("/metadata", async (HttpRequest request, SmartDiscovery smart, CancellationToken ct) =>
                FhirResponses.Poco(await smart.SecureAsync(CapabilityStatementBuilder.Build(FhirResponses.BaseUrl(request), SoftwareVersion), ct)))
            .AllowAnonymous()
            .WithName("capabilities").WithSummary("The server's CapabilityStatement (FHIR R4 4.0.1).")
            .Produces(200, contentType: FhirJson, additionalContentTypes: [FhirXml]);

        foreach (var type in SupportedResources.Writable)
        {
            MapResource(fhir, type);
        }
        return app;
    }

    private static readonly string SoftwareVersion =
        typeof(FhirEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private static void MapResource(RouteGroupBuilder fhir, string type)
    {
        var group = fhir.MapGroup($"/{type}").WithTags($"FHIR {type}");

        group.MapPost("", async (HttpRequest request, IMediator mediator, CancellationToken ct) =>
            {
                var resource = await ReadResourceAsync(request, type, expectedId: null, ct);
                var ifNoneExist = request.Headers["If-None-Exist"].ToString();
                var outcome = await mediator.Send(new CreateResourceCommand(resource, ifNoneExist.Length > 0 ? ifNoneExist : null), ct);
                return FhirResponses.Resource(outcome.Resource, outcome.Created ? 201 : 200, withLocation: true);
            })
            .RequireScope(ResourceScope.Create(type))
            .WithName($"create{type}").WithSummary($"Create a {type} (conditional with If-None-Exist).")
            .WithMetadata(new FhirResourceBody(type))
            .Produces(201, contentType: FhirJson, additionalContentTypes: [FhirXml]).Produces(200).ProducesFhirErrors();

        group.MapGet("", async (HttpRequest request, IMediator mediator, CancellationToken ct) =>
            {
                var parameters = request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))).ToList();
                var result = await mediator.Send(new SearchResourcesQuery(type, parameters, FhirResponses.PrefersStrict(request)), ct);
                return FhirResponses.Poco(Bundles.Searchset(request, type, result));
            })
            .RequireScope(ResourceScope.Search(type))
            .WithName($"search{type}").WithSummary($"Search {type} resources; a searchset Bundle.")
            .Produces(200, contentType: FhirJson, additionalContentTypes: [FhirXml]).ProducesFhirErrors();

        group.MapGet("/_history", async (HttpRequest request, IMediator mediator, CancellationToken ct) =>
                await History(request, mediator, type, id: null, ct))
            .RequireScope(ResourceScope.ReadAndSearch(type))
            .WithName($"history{type}").WithSummary($"History of all {type} resources, newest first.")
            .Produces(200, contentType: FhirJson, additionalContentTypes: [FhirXml]).ProducesFhirErrors();

        group.MapGet("/{id}", async (string id, HttpContext context, IMediator mediator, CancellationToken ct) =>
                FhirResponses.Resource(await mediator.Send(new ReadResourceQuery(type, id), ct), 200))
            .RequireScope(ResourceScope.Read(type))
            .WithName($"read{type}").WithSummary($"Read the current version of a {type}.")
            .Produces(200, contentType: FhirJson, additionalContentTypes: [FhirXml]).ProducesFhirErrors();

        group.MapPut("/{id}", async (string id, HttpRequest request, IMediator mediator, CancellationToken ct) =>
            {
                var resource = await ReadResourceAsync(request, type, expectedId: id, ct);
                var outcome = await mediator.Send(new UpdateResourceCommand(type, id, resource, IfMatch(request)), ct);
                return FhirResponses.Resource(outcome.Resource, outcome.Created ? 201 : 200, withLocation: outcome.Created);
            })
            .RequireScope(ResourceScope.Update(type))
            .WithName($"update{type}").WithSummary($"Update a {type}, or create it with this id (If-Match for optimistic concurrency).")
            .WithMetadata(new FhirResourceBody(type))
            .Produces(200, contentType: FhirJson, additionalContentTypes: [FhirXml]).Produces(201).ProducesFhirErrors();

        group.MapDelete("/{id}", async (string id, HttpRequest request, IMediator mediator, CancellationToken ct) =>
            {
                var deleted = await mediator.Send(new DeleteResourceCommand(type, id, IfMatch(request)), ct);
                if (deleted is not null)
                {
                    request.HttpContext.Response.Headers.ETag = FhirResponses.ETag(deleted.VersionId);
                }
                return Results.NoContent();
            })
            .RequireScope(ResourceScope.Delete(type))
            .WithName($"delete{type}").WithSummary($"Delete a {type}: a delete version; later reads answer 410.")
            .Produces(204).ProducesFhirErrors();

        group.MapGet("/{id}/_history", async (string id, HttpRequest request, IMediator mediator, CancellationToken ct) =>
                await History(request, mediator, type, id, ct))
            .RequireScope(ResourceScope.Read(type))
            .WithName($"history{type}Instance").WithSummary($"All versions of one {type}, newest first, deletes included.")
            .Produces(200, contentType: FhirJson, additionalContentTypes: [FhirXml]).ProducesFhirErrors();

        group.MapGet("/{id}/_history/{versionId}", async (string id, string versionId, HttpContext context, IMediator mediator, CancellationToken ct) =>
            {
                if (!int.TryParse(versionId, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
                {
                    throw new ResourceNotFoundException($"{type}/{id}/_history/{versionId} is not a version of this resource.");
                }
                return FhirResponses.Resource(await mediator.Send(new ReadResourceQuery(type, id, version), ct), 200);
            })
            .RequireScope(ResourceScope.Read(type))
            .WithName($"vread{type}").WithSummary($"Read one version of a {type}.")
            .Produces(200, contentType: FhirJson, additionalContentTypes: [FhirXml]).ProducesFhirErrors();
    }

    private static async Task<IResult> History(HttpRequest request, IMediator mediator, string type, string? id, CancellationToken ct)
    {
        var count = IntParameter(request, "_count", 20, 0, 1000);
        long? before = request.Query.ContainsKey("_cursor") ? IntParameter(request, "_cursor", 0, 1, long.MaxValue) : null;
        DateTimeOffset? since = null;
        if (request.Query.TryGetValue("_since", out var sinceText))
        {
            if (!FhirDateRange.TryParse(sinceText.ToString(), out var low, out _))
            {
                throw new BadRequestException("_since must be a FHIR instant (e.g. 2026-01-01T00:00:00Z).");
            }
            since = low;
        }
        var query = new HistoryQuery((int)count, before, since);
        var page = await mediator.Send(new ResourceHistoryQuery(type, id, query), ct);
        return FhirResponses.Poco(Bundles.History(request, id is null ? $"{type}/_history" : $"{type}/{id}/_history", query, page));
    }

    private static long IntParameter(HttpRequest request, string name, long fallback, long min, long max)
    {
        if (!request.Query.TryGetValue(name, out var text))
        {
            return fallback;
        }
        if (!long.TryParse(text.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min)
        {
            throw new BadRequestException($"{name} must be an integer of at least {min}.");
        }
        return Math.Min(value, max);
    }

    /// <summary>The version an If-Match header names (W/"3" or "3"); null without the header.</summary>
    private static int? IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (header.Length == 0)
        {
            return null;
        }
        var text = header.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }
        text = text.Trim('"');
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            throw new BadRequestException("If-Match must name a version as an ETag, e.g. W/\"3\".");
        }
        return version;
    }

    internal static async Task<Hl7.Fhir.Model.Resource> ReadResourceAsync(HttpRequest request, string type, string? expectedId, CancellationToken ct)
    {
        var format = FhirFormats.ForRequestBody(request)
            ?? throw new UnsupportedMediaTypeException($"Content-Type '{request.ContentType}' is not supported; use {FhirJson} or {FhirXml}.");
        var body = await RequestBody.ReadAsync(request, RequestBody.DefaultLimitBytes, ct);
        var resource = FhirSerialization.ParseRequestBody(body, format);
        if (resource.TypeName != type)
        {
            throw new BadRequestException($"The body is a {resource.TypeName}, but the URL is for {type}.");
        }
        if (expectedId is not null && resource.Id is { } bodyId && bodyId != expectedId)
        {
            throw new BadRequestException($"The id in the body ({bodyId}) differs from the id in the URL ({expectedId}).");
        }
        if (expectedId is not null && resource.Id is null)
        {
            throw new BadRequestException("A resource sent by PUT must carry the id of the URL.");
        }
        return resource;
    }

    internal static RouteHandlerBuilder ProducesFhirErrors(this RouteHandlerBuilder builder) =>
        builder.Produces(400, contentType: FhirJson).Produces(404, contentType: FhirJson).Produces(409, contentType: FhirJson)
            .Produces(410, contentType: FhirJson).Produces(412, contentType: FhirJson).Produces(413, contentType: FhirJson)
            .Produces(422, contentType: FhirJson);
}
