using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using MediatR;

namespace ConsentService.Application.Resources;

/// <summary>FHIR delete: writes a delete version. Returns it, or null when the resource was already deleted.
/// A resource that never existed is a 404.</summary>
public sealed record DeleteResourceCommand(string ResourceType, string Id, int? IfMatchVersion) : IRequest<StoredResource?>;

public sealed class DeleteResourceHandler(IResourceStore store, AuditTrail audit) : IRequestHandler<DeleteResourceCommand, StoredResource?>
{
    public async Task<StoredResource?> Handle(DeleteResourceCommand request, CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteAsync(request.ResourceType, request.Id, request.IfMatchVersion, cancellationToken, audit.ForWrite(null)).ConfigureAwait(false);
        if (deleted is null && await store.ReadAsync(request.ResourceType, request.Id, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new ResourceNotFoundException($"{request.ResourceType}/{request.Id} does not exist.");
        }
        return deleted;
    }
}
