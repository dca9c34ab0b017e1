using ConsentService.Application.Ports;
using MediatR;

namespace ConsentService.Application.Resources;

/// <summary>Instance history (<paramref name="Id"/> given) or type history, newest first.</summary>
public sealed record ResourceHistoryQuery(string ResourceType, string? Id, HistoryQuery Query) : IRequest<HistoryPage>;

public sealed class ResourceHistoryHandler(IResourceStore store) : IRequestHandler<ResourceHistoryQuery, HistoryPage>
{
    public async Task<HistoryPage> Handle(ResourceHistoryQuery request, CancellationToken cancellationToken)
    {
        var page = await store.HistoryAsync(request.ResourceType, request.Id, request.Query, cancellationToken).ConfigureAwait(false);
        if (request.Id is not null && page.Total == 0)
        {
            throw new ResourceNotFoundException($"{request.ResourceType}/{request.Id} is not known.");
        }
        return page;
    }
}
