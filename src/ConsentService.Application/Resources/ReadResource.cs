using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using ConsentService.Application.Security;
using MediatR;

namespace ConsentService.Application.Resources;

/// <summary>FHIR read (<paramref name="VersionId"/> null) or vread. A deleted resource or delete version is 410.</summary>
public sealed record ReadResourceQuery(string ResourceType, string Id, int? VersionId = null) : IRequest<StoredResource>;

public sealed class ReadResourceHandler(IResourceStore store, AuditTrail audit, IRequestCallerAccessor callers) : IRequestHandler<ReadResourceQuery, StoredResource>
{
    public async Task<StoredResource> Handle(ReadResourceQuery request, CancellationToken cancellationToken)
    {
        var access = callers.Caller.Require(ResourceScope.Read(request.ResourceType));
        var found = request.VersionId is { } version
            ? await store.ReadVersionAsync(request.ResourceType, request.Id, version, cancellationToken).ConfigureAwait(false)
            : await store.ReadAsync(request.ResourceType, request.Id, cancellationToken).ConfigureAwait(false);
        var name = request.VersionId is { } v ? $"{request.ResourceType}/{request.Id}/_history/{v}" : $"{request.ResourceType}/{request.Id}";
        if (found is null)
        {
            throw new ResourceNotFoundException($"{name} is not known.");
        }
        PatientCompartment.EnsureVisible(access, found, name);
        if (found.IsDeleted)
        {
            throw new ResourceGoneException($"{name} has been deleted.");
        }
        await audit.RecordReadAsync(found, vread: request.VersionId is not null, cancellationToken).ConfigureAwait(false);
        return found;
    }
}
