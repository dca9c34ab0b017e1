using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using ConsentService.Application.Search;
using Hl7.Fhir.Model;
using MediatR;

namespace ConsentService.Application.Resources;

/// <summary>FHIR create. <paramref name="IfNoneExist"/> is the raw query of an If-None-Exist header
/// (conditional create).</summary>
public sealed record CreateResourceCommand(Resource Resource, string? IfNoneExist = null) : IRequest<WriteOutcome>, IResourceWriteRequest;

public sealed class CreateResourceHandler(IResourceStore store, AuditTrail audit) : IRequestHandler<CreateResourceCommand, WriteOutcome>
{
    public async Task<WriteOutcome> Handle(CreateResourceCommand request, CancellationToken cancellationToken)
    {
        var write = ResourceWriteFactory.Build(request.Resource, Guid.NewGuid().ToString(), ifMatchVersion: null) with { Audit = audit.ForWrite(request.Resource) };
        if (string.IsNullOrWhiteSpace(request.IfNoneExist))
        {
            return new WriteOutcome(await store.CreateAsync(write, cancellationToken).ConfigureAwait(false), Created: true);
        }
        var condition = SearchRequestParser.Parse(write.ResourceType, QueryString.Parse(request.IfNoneExist), strict: true);
        var (resource, created) = await store.CreateIfNoneExistAsync(write, condition.Query.AsCriteria(), cancellationToken).ConfigureAwait(false);
        return new WriteOutcome(resource, created);
    }
}
