using System.Globalization;
using ConsentService.Api.Errors;
using ConsentService.Api.Fhir;
using ConsentService.Application;
using ConsentService.Api.Security;
using ConsentService.Application.Audit;
using ConsentService.Application.Security;
using MediatR;

namespace ConsentService.Api.Endpoints;

/// <summary>/fhir/AuditEvent: read, vread (version 1), search, and create for reported disclosures. The trail is
/// immutable: update and delete answer 405 with an OperationOutcome.</summary>
public static class AuditEventEndpoints
{
    private const string Type = "AuditEvent";
    private const string FhirJson = FhirFormats.FhirJson;
    private const string FhirXml = FhirFormats.FhirXml;

    public static IEndpointRouteBuilder MapAuditEventFhirApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup($"/fhir/{Type}").WithTags($"FHIR {Type}");

        group.MapPost("", async (HttpRequest request, IMediator mediator, CancellationToken ct) =>
            {
                var resource = await FhirEndpoints.ReadResourceAsync(request, Type, expectedId: null, ct);
                var stored = await mediator.Send(new ReportDisclosureCommand((Hl7.Fhir.Model.AuditEvent)resource), ct);
                return FhirResponses.Resource(stored, 201, withLocation: true);
            })
            .WithName($"create{Type}").WithSummary("Report an actual export of a study (a BALP privacy disclosure AuditEvent).")
            .WithDescription("The event must have type DCM 110106 (Export), subtype iso-21089-lifecycle#disclose, exactly one recipient agent "
                + "(v3-ParticipationType IRCP) and exactly one ImagingStudy entity known to this service; otherwise 422. "
                + "The service adds the study's patient as an entity and appends the event to the hash-chained trail.")
            .WithMetadata(new FhirResourceBody(Type))
            .RequireScope(ResourceScope.Create(Type))
            .Produces(201, contentType: FhirJson, additionalContentTypes: [FhirXml]).ProducesFhirErrors();

        group.MapGet("", async (HttpRequest request, IMediator mediator, CancellationToken ct) =>
            {
                var parameters = request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))).ToList();
                var result = await mediator.Send(new SearchAuditEventsQuery(parameters, FhirResponses.PrefersStrict(request)), ct);
                return FhirResponses.Poco(Bundles.Searchset(request, Type, result));
            })
            .RequireScope(ResourceScope.Search(Type))
            .WithName($"search{Type}").WithSummary("Search AuditEvents; a searchset Bundle (custom parameter decision = permit | deny).")
            .Produces(200, contentType: FhirJson, additionalContentTypes: [FhirXml]).ProducesFhirErrors();

        group.MapGet("/{id}", async (string id, IMediator mediator, CancellationToken ct) =>
                FhirResponses.Resource(await mediator.Send(new ReadAuditEventQuery(id), ct), 200))
            .RequireScope(ResourceScope.Read(Type))
            .WithName($"read{Type}").WithSummary("Read an AuditEvent (a decision's AuditEvent id is its decisionId).")
            .Produces(200, contentType: FhirJson, additionalContentTypes: [FhirXml]).ProducesFhirErrors();

        group.MapGet("/{id}/_history/{versionId}", async (string id, string versionId, IMediator mediator, CancellationToken ct) =>
            {
                if (versionId != "1")
                {
                    throw new ResourceNotFoundException($"{Type}/{id}/_history/{versionId} is not a version of this resource: AuditEvents have only version 1.");
                }
                return FhirResponses.Resource(await mediator.Send(new ReadAuditEventQuery(id), ct), 200);
            })
            .RequireScope(ResourceScope.Read(Type))
            .WithName($"vread{Type}").WithSummary("Read version 1 of an AuditEvent (AuditEvents are never updated).")
            .Produces(200, contentType: FhirJson, additionalContentTypes: [FhirXml]).ProducesFhirErrors();

        group.MapPut("/{id}", (string id) => Immutable("update"))
            .RequireScope(ResourceScope.Update(Type))
            .WithName($"update{Type}").WithSummary("Not allowed: AuditEvents are immutable (405).")
            .Produces(405, contentType: FhirJson);
        group.MapDelete("/{id}", (string id) => Immutable("delete"))
            .RequireScope(ResourceScope.Delete(Type))
            .WithName($"delete{Type}").WithSummary("Not allowed: AuditEvents are immutable (405).")
            .Produces(405, contentType: FhirJson);
        return app;
    }

    private static IResult Immutable(string interaction) =>
        throw new MethodNotAllowedException(string.Create(CultureInfo.InvariantCulture,
            $"AuditEvents are immutable: {interaction} is not allowed. Report a correction as a new AuditEvent."));
}
