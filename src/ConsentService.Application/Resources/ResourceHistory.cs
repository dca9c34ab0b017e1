using ConsentService.Application.Ports;
using ConsentService.Application.Security;
using MediatR;

namespace ConsentService.Application.Resources;

/// <summary>Instance history (<paramref name="Id"/> given) or type history, newest first.</summary>
public sealed record ResourceHistoryQuery(string ResourceType, string? Id, HistoryQuery Query) : IRequest<HistoryPage>
{
    /// <summary>Who asks; with a patient scope only the token's patient's resources exist for it.</summary>
    public required RequestCaller Caller { get; init; }
}

public sealed class ResourceHistoryHandler(IResourceStore store) : IRequestHandler<ResourceHistoryQuery, HistoryPage>
{
    public async Task<HistoryPage> Handle(ResourceHistoryQuery request, CancellationToken cancellationToken)
    {
        var access = request.Caller.Require(request.Id is null ? ResourceScope.ReadAndSearch(request.ResourceType) : ResourceScope.Read(request.ResourceType));
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
        return page;
    }
}
