using System.Text;
using ConsentService.Api.Security;
using ConsentService.Application.Audit;
using ConsentService.Application.Security;
using MediatR;

namespace ConsentService.Api.Endpoints;

/// <summary>The audit API under /api/v1: verify the hash chain, export the trail for SIEMs, account for disclosures.</summary>
public static class AuditEndpoints
{
    public const string NdJson = "application/x-ndjson";
    private const int DefaultExportLimit = 10_000;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/api/v1/audit").WithTags("Audit");

        audit.MapGet("/verify", async (string? head, IMediator mediator, CancellationToken ct) =>
                TypedResults.Json(await mediator.Send(new VerifyAuditTrailQuery(head), ct), AuditJsonContext.Default.AuditVerification))
            .RequireScope(ResourceScope.ReadAndSearch("AuditEvent"))
            .WithName("verifyAuditTrail")
            .WithSummary("Verify the hash chain of the audit trail.")
            .WithDescription("Recomputes every record's hash and link. valid is false and firstInvalid names the first record "
                + "found altered, out of place or preceded by a gap. head (optional): a head hash anchored outside the service "
                + "earlier; the trail is valid only if that hash is still a record of it.")
            .Produces<AuditVerification>(200)
            .ProducesProblem(400).ProducesProblem(503);

        audit.MapGet("/export", async (string? cursor, int? limit, HttpContext context, IMediator mediator, CancellationToken ct) =>
            {
                var export = await mediator.Send(new ExportAuditTrailQuery(cursor, limit ?? DefaultExportLimit), ct);
                var response = context.Response;
                response.ContentType = NdJson;
                var newline = "\n"u8.ToArray();
                await foreach (var record in export.Records(ct))
                {
                    await response.Body.WriteAsync(Encoding.UTF8.GetBytes(StoredAuditEvents.Fhir(record.Record.Json)), ct);
                    await response.Body.WriteAsync(newline, ct);
                }
                var end = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new AuditExportEnd(export.Cursor, export.Exported), AuditJsonContext.Default.AuditExportEnd);
                await response.Body.WriteAsync(end, ct);
                await response.Body.WriteAsync(newline, ct);
                return Results.Empty;
            })
            .RequireScope(ResourceScope.ReadAndSearch("AuditEvent"))
            .WithName("exportAuditTrail")
            .WithSummary("Export AuditEvents as NDJSON, in commit order, resumable by cursor.")
            .WithDescription("One FHIR AuditEvent (JSON) per line, committed records only, after the cursor (from the start without one), "
                + "at most limit (default 10,000, at most 100,000). The last line is {\"cursor\":\"...\",\"events\":n}: pass its cursor "
                + "to continue; no event is skipped or repeated across resumptions.")
            .Produces<AuditExportEnd>(200, NdJson)
            .ProducesProblem(400).ProducesProblem(503);

        app.MapGet("/api/v1/disclosures", async (string? patient, IMediator mediator, CancellationToken ct) =>
                TypedResults.Json(await mediator.Send(new AccountDisclosuresQuery(patient), ct), AuditJsonContext.Default.DisclosureAccounting))
            .WithTags("Audit")
            .RequireScope(ResourceScope.ReadAndSearch("AuditEvent"))
            .WithName("accountDisclosures")
            .WithSummary("The accounting of disclosures of one patient.")
            .WithDescription("Per recipient: the studies permitted by decisions and the studies reported exported by PACS or export "
                + "gateways, with when, the purpose and the consent version each rests on.")
            .Produces<DisclosureAccounting>(200)
            .ProducesProblem(400).ProducesProblem(503);
        return app;
    }
}
