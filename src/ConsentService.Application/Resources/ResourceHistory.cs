using System.Globalization;
using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using ConsentService.Application.Security;
using MediatR;

namespace ConsentService.Application.Resources;

/// <summary>Instance history (<paramref name="Id"/> given) or type history, newest first.</summary>
public sealed record ResourceHistoryQuery(string ResourceType, string? Id, HistoryQuery Query) : IRequest<HistoryPage>;

public sealed class ResourceHistoryHandler(IResourceStore store, AuditTrail audit, IRequestCallerAccessor callers) : IRequestHandler<ResourceHistoryQuery, HistoryPage>
{
    public async Task<HistoryPage> Handle(ResourceHistoryQuery request, CancellationToken cancellationToken)
    {
        var access = callers.Caller.Require(request.Id is null ? ResourceScope.ReadAndSearch(request.ResourceType) : ResourceScope.Read(request.ResourceType));
        if (request.Id is null && access.IsPatientCompartment)
        {
            // Type history lists every resource's versions; a compartment cannot be cut out of its paging.
            throw new AccessDeniedException($"Type-level history of {request.ResourceType} needs a system or user scope; patient scopes may search or read instance history.");
        }
        var page = await store.HistoryAsync(request.ResourceType, request.Id, request.Query, cancellationToken).ConfigureAwait(false);
        if (request.Id is not null && page.Total == 0)
        {
            throw new ResourceNotFoundException($"{request.ResourceType}/{request.Id} is not known.");
        }
        if (request.Id is not null)
        {
            PatientCompartment.EnsureVisible(access, page.Versions, $"{request.ResourceType}/{request.Id}");
        }
        var query = request.Query;
        List<KeyValuePair<string, string>> parameters = [new("_count", query.Count.ToString(CultureInfo.InvariantCulture))];
        if (query.Since is { } since) parameters.Add(new("_since", since.ToString("O", CultureInfo.InvariantCulture)));
        if (query.Before is { } before) parameters.Add(new("_cursor", before.ToString(CultureInfo.InvariantCulture)));
        await audit.RecordQueryAsync(request.Id is null ? "history-type" : "history-instance", request.ResourceType,
            QueryString.Format(parameters), page.Versions, cancellationToken).ConfigureAwait(false);
        return page;
    }
}
