using ConsentService.Application.Security;
using ConsentService.Application.Ports;
using ConsentService.Application.Resources;
using ConsentService.Application.Search;
using MediatR;

namespace ConsentService.Application.Audit;

/// <summary>FHIR read of an AuditEvent (every AuditEvent has exactly one version, 1).</summary>
public sealed record ReadAuditEventQuery(string Id) : IRequest<StoredResource>;

public sealed class ReadAuditEventHandler(IAuditLog log, IRequestCallerAccessor callers) : IRequestHandler<ReadAuditEventQuery, StoredResource>
{
    public async Task<StoredResource> Handle(ReadAuditEventQuery request, CancellationToken cancellationToken)
    {
        var access = callers.Caller.Require(ResourceScope.Read("AuditEvent"));
        var name = $"AuditEvent/{request.Id}";
        var record = await log.ReadAsync(request.Id, cancellationToken).ConfigureAwait(false)
            ?? throw new ResourceNotFoundException($"{name} is not known.");
        var version = AsVersion(record);
        PatientCompartment.EnsureVisible(access, version, name);
        return version;
    }

    /// <summary>An audit record as version 1 of an AuditEvent (its FHIR JSON), recorded time as lastUpdated.</summary>
    public static StoredResource AsVersion(AuditRecord record) =>
        new("AuditEvent", record.Id, 1, record.Recorded, IsDeleted: false, StoredAuditEvents.Fhir(record.Json), Sequence: 0);
}

/// <summary>FHIR search of AuditEvents, through the audit index (same parser and paging as other types).</summary>
public sealed record SearchAuditEventsQuery(IReadOnlyList<KeyValuePair<string, string>> Parameters, bool Strict) : IRequest<SearchResult>;

public sealed class SearchAuditEventsHandler(IAuditLog log, IRequestCallerAccessor callers) : IRequestHandler<SearchAuditEventsQuery, SearchResult>
{
    public async Task<SearchResult> Handle(SearchAuditEventsQuery request, CancellationToken cancellationToken)
    {
        var access = callers.Caller.Require(ResourceScope.Search("AuditEvent"));
        var parsed = SearchRequestParser.Parse("AuditEvent", request.Parameters, request.Strict);
        var page = await log.SearchAsync(PatientCompartment.Apply(access, parsed.Query), cancellationToken).ConfigureAwait(false);
        return new SearchResult(parsed, page with { Resources = page.Resources.Select(StoredAuditEvents.Fhir).ToList() });
    }
}
