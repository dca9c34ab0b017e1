using ConsentService.Application.Ports;
using ConsentService.Application.Resources;
using ConsentService.Application.Search;
using MediatR;

namespace ConsentService.Application.Audit;

/// <summary>FHIR read of an AuditEvent (every AuditEvent has exactly one version, 1).</summary>
public sealed record ReadAuditEventQuery(string Id) : IRequest<StoredResource>;

public sealed class ReadAuditEventHandler(IAuditLog log) : IRequestHandler<ReadAuditEventQuery, StoredResource>
{
    public async Task<StoredResource> Handle(ReadAuditEventQuery request, CancellationToken cancellationToken)
    {
        var record = await log.ReadAsync(request.Id, cancellationToken).ConfigureAwait(false)
            ?? throw new ResourceNotFoundException($"AuditEvent/{request.Id} is not known.");
        return AsVersion(record);
    }

    /// <summary>An audit record as version 1 of an AuditEvent, recorded time as lastUpdated.</summary>
    public static StoredResource AsVersion(AuditRecord record) =>
        new("AuditEvent", record.Id, 1, record.Recorded, IsDeleted: false, record.Json, Sequence: 0);
}

/// <summary>FHIR search of AuditEvents, through the audit index (same parser and paging as other types).</summary>
public sealed record SearchAuditEventsQuery(IReadOnlyList<KeyValuePair<string, string>> Parameters, bool Strict) : IRequest<SearchResult>;

public sealed class SearchAuditEventsHandler(IAuditLog log) : IRequestHandler<SearchAuditEventsQuery, SearchResult>
{
    public async Task<SearchResult> Handle(SearchAuditEventsQuery request, CancellationToken cancellationToken)
    {
        var parsed = SearchRequestParser.Parse("AuditEvent", request.Parameters, request.Strict);
        var page = await log.SearchAsync(parsed.Query, cancellationToken).ConfigureAwait(false);
        return new SearchResult(parsed, page);
    }
}
