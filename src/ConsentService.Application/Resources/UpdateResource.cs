using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using Hl7.Fhir.Model;
using MediatR;

namespace ConsentService.Application.Resources;

/// <summary>FHIR update (PUT), which also creates with a client-chosen id. <paramref name="IfMatchVersion"/>
/// comes from an If-Match header (optimistic concurrency).</summary>
public sealed record UpdateResourceCommand(string ResourceType, string Id, Resource Resource, int? IfMatchVersion)
    : IRequest<WriteOutcome>, IResourceWriteRequest;

public sealed class UpdateResourceHandler(IResourceStore store, AuditTrail audit) : IRequestHandler<UpdateResourceCommand, WriteOutcome>
{
    public async Task<WriteOutcome> Handle(UpdateResourceCommand request, CancellationToken cancellationToken)
    {
        var write = ResourceWriteFactory.Build(request.Resource, request.Id, request.IfMatchVersion) with { Audit = audit.ForWrite(request.Resource) };
        var (resource, created) = await store.UpsertAsync(write, cancellationToken).ConfigureAwait(false);
        return new WriteOutcome(resource, created);
    }
}
