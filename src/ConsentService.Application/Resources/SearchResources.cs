using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using ConsentService.Application.Search;
using ConsentService.Application.Security;
using MediatR;

namespace ConsentService.Application.Resources;

/// <summary>FHIR type-level search. <paramref name="Strict"/>: the client asked for Prefer: handling=strict.</summary>
public sealed record SearchResourcesQuery(string ResourceType, IReadOnlyList<KeyValuePair<string, string>> Parameters, bool Strict)
    : IRequest<SearchResult>;

public sealed record SearchResult(ParsedSearch Search, SearchPage Page);

public sealed class SearchResourcesHandler(IResourceStore store, AuditTrail audit, IRequestCallerAccessor callers) : IRequestHandler<SearchResourcesQuery, SearchResult>
{
    public async Task<SearchResult> Handle(SearchResourcesQuery request, CancellationToken cancellationToken)
    {
        var access = callers.Caller.Require(ResourceScope.Search(request.ResourceType));
        var parsed = SearchRequestParser.Parse(request.ResourceType, request.Parameters, request.Strict);
        var page = await store.SearchAsync(PatientCompartment.Apply(access, parsed.Query), cancellationToken).ConfigureAwait(false);
        await audit.RecordQueryAsync("search-type", request.ResourceType, QueryString.Format(request.Parameters), page.Resources, cancellationToken)
            .ConfigureAwait(false);
        return new SearchResult(parsed, page);
    }
}
