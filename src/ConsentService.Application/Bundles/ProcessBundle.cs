using System.Globalization;
using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using ConsentService.Application.Resources;
using ConsentService.Application.Search;
using ConsentService.Application.Security;
using Hl7.Fhir.Model;
using MediatR;

namespace ConsentService.Application.Bundles;

/// <summary><c>POST /fhir</c> with a transaction or batch Bundle (FHIR R4 semantics).</summary>
public sealed record ProcessBundleCommand(Bundle Bundle) : IRequest<BundleResult>, IResourceWriteRequest
{
    /// <summary>The bundle is the submitted resource: failures of its content are a 422.</summary>
    public Resource Resource => Bundle;
}

/// <summary>What happened to one entry: the version written (or matched, or deleted), whether it was created, or
/// (batch only) the failure that stopped it. The Api turns it into the response entry with the one error mapping.</summary>
public sealed record BundleEntryResult(Bundle.HTTPVerb Method, StoredResource? Resource, bool Created, ServiceException? Error = null);

public sealed record BundleResult(Bundle.BundleType Type, IReadOnlyList<BundleEntryResult> Entries);

/// <summary>
/// A transaction is all or nothing: ids are assigned first, conditional creates resolved, <c>urn:uuid</c>
/// references rewritten to the ids, and every write committed in one store transaction (DELETE, then POST, then
/// PUT, as FHIR orders them). A batch is per entry: each entry runs as the single interaction would, through the
/// same validation, and fails alone.
/// </summary>
public sealed class ProcessBundleHandler(IResourceStore store, IMediator mediator, IRequestCallerAccessor callers, AuditTrail audit) : IRequestHandler<ProcessBundleCommand, BundleResult>
{
    public Task<BundleResult> Handle(ProcessBundleCommand request, CancellationToken cancellationToken) =>
        request.Bundle.Type == Bundle.BundleType.Transaction
            ? TransactionAsync(request.Bundle, cancellationToken)
            : BatchAsync(request.Bundle, cancellationToken);

    private async Task<BundleResult> BatchAsync(Bundle bundle, CancellationToken ct)
    {
        var results = new BundleEntryResult[bundle.Entry.Count];
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var entry = bundle.Entry[i];
            var method = entry.Request?.Method ?? Bundle.HTTPVerb.POST;
            try
            {
                var target = BundleEntryTarget.Parse(entry, i);
                callers.Caller.Require(target.Scope);
                results[i] = method switch
                {
                    Bundle.HTTPVerb.POST => Written(method, await mediator.Send(new CreateResourceCommand(entry.Resource!, entry.Request!.IfNoneExist), ct).ConfigureAwait(false)),
                    Bundle.HTTPVerb.PUT => Written(method, await mediator.Send(new UpdateResourceCommand(target.Type, target.Id!, entry.Resource!, target.IfMatch), ct).ConfigureAwait(false)),
                    _ => new BundleEntryResult(method, await mediator.Send(new DeleteResourceCommand(target.Type, target.Id!, target.IfMatch), ct).ConfigureAwait(false), false),
                };
            }
            catch (ServiceException e)
            {
                results[i] = new BundleEntryResult(method, null, false, e);
            }
        }
        return new BundleResult(Bundle.BundleType.BatchResponse, results);
    }

    private static BundleEntryResult Written(Bundle.HTTPVerb method, WriteOutcome outcome) => new(method, outcome.Resource, outcome.Created);

    private async Task<BundleResult> TransactionAsync(Bundle bundle, CancellationToken ct)
    {
        var targets = bundle.Entry.Select(BundleEntryTarget.Parse).ToArray();
        foreach (var target in targets)
        {
            callers.Caller.Require(target.Scope); // one entry the caller may not write refuses the whole transaction
        }
        var written = new HashSet<string>(StringComparer.Ordinal);
        var references = new Dictionary<string, string>(StringComparer.Ordinal);
        var ids = new string[targets.Length];
        var conditions = new (SearchQuery Query, string? MatchId)?[targets.Length];

        // Conditional creates: every criterion parsed first (the first bad one is the error, in entry order), then
        // searched on all cores (a backlog load carries one per entry); the store checks each again in its transaction.
        var queries = new SearchQuery?[targets.Length];
        for (var i = 0; i < targets.Length; i++)
        {
            if (targets[i].Method == Bundle.HTTPVerb.POST && bundle.Entry[i].Request!.IfNoneExist is { } ifNoneExist && !string.IsNullOrWhiteSpace(ifNoneExist))
            {
                queries[i] = SearchRequestParser.Parse(targets[i].Type, QueryString.Parse(ifNoneExist), strict: true).Query.AsCriteria();
            }
        }
        var matches = new IReadOnlyList<StoredResource>[targets.Length];
        var checkedAt = store.Changes?.Now(); // before the searches: lets the store skip searching again (CreateOperation)
        await Parallel.ForEachAsync(Enumerable.Range(0, targets.Length).Where(i => queries[i] is not null),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct },
            async (i, token) => matches[i] = (await store.SearchAsync(queries[i]!, token).ConfigureAwait(false)).Resources).ConfigureAwait(false);

        for (var i = 0; i < targets.Length; i++)
        {
            var target = targets[i];
            var entry = bundle.Entry[i];
            ids[i] = target.Id ?? Guid.NewGuid().ToString();
            if (queries[i] is { } query)
            {
                var found = matches[i];
                if (found.Count > 1)
                {
                    throw new PreconditionFailedException($"Bundle.entry[{i}]: the conditional create criteria match more than one resource.");
                }
                var match = found.Count == 1 ? found[0].Id : null;
                conditions[i] = (query, match);
                ids[i] = match ?? ids[i];
            }
            if (!written.Add($"{target.Type}/{ids[i]}"))
            {
                throw new BadRequestException($"Bundle.entry[{i}]: {target.Type}/{ids[i]} is the target of more than one entry of this transaction.");
            }
            if (entry.FullUrl is { } fullUrl && fullUrl.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase))
            {
                if (!references.TryAdd(fullUrl, $"{target.Type}/{ids[i]}"))
                {
                    throw new BadRequestException($"Bundle.entry[{i}].fullUrl: {fullUrl} is used by more than one entry.");
                }
            }
        }

        var operations = new List<(int Entry, TransactionOperation Operation)>(targets.Length);
        foreach (var phase in new[] { Bundle.HTTPVerb.DELETE, Bundle.HTTPVerb.POST, Bundle.HTTPVerb.PUT })
        {
            for (var i = 0; i < targets.Length; i++)
            {
                if (targets[i].Method != phase)
                {
                    continue;
                }
                var resource = bundle.Entry[i].Resource;
                if (resource is not null)
                {
                    UuidReferences.Rewrite(resource, references, i);
                }
                TransactionOperation operation = phase switch
                {
                    // Every entry is audited as its single interaction would be, in the store's transaction.
                    Bundle.HTTPVerb.DELETE => new DeleteOperation(targets[i].Type, ids[i], targets[i].IfMatch, audit.ForWrite(null)),
                    Bundle.HTTPVerb.POST => new CreateOperation(ResourceWriteFactory.Build(resource!, ids[i], null) with { Audit = audit.ForWrite(resource) },
                        conditions[i]?.Query, conditions[i]?.MatchId, conditions[i] is null ? null : checkedAt),
                    _ => new UpsertOperation(ResourceWriteFactory.Build(resource!, ids[i], targets[i].IfMatch) with { Audit = audit.ForWrite(resource) }),
                };
                operations.Add((i, operation));
            }
        }

        var outcomes = await store.TransactAsync(operations.Select(o => o.Operation).ToArray(), ct).ConfigureAwait(false);
        var results = new BundleEntryResult[targets.Length];
        for (var k = 0; k < operations.Count; k++)
        {
            var i = operations[k].Entry;
            results[i] = new BundleEntryResult(targets[i].Method, outcomes[k].Resource, outcomes[k].Created);
        }
        return new BundleResult(Bundle.BundleType.TransactionResponse, results);
    }
}

/// <summary>The interaction one entry asks for: method, resource type, id (PUT/DELETE) and If-Match version.</summary>
internal readonly record struct BundleEntryTarget(Bundle.HTTPVerb Method, string Type, string? Id, int? IfMatch)
{
    /// <summary>The scope the entry's interaction needs, as the single interaction's endpoint would.</summary>
    public ResourceScope Scope => Method switch
    {
        Bundle.HTTPVerb.POST => ResourceScope.Create(Type),
        Bundle.HTTPVerb.PUT => ResourceScope.Update(Type),
        _ => ResourceScope.Delete(Type),
    };

    public static BundleEntryTarget Parse(Bundle.EntryComponent entry, int index)
    {
        var request = entry.Request ?? throw new BadRequestException($"Bundle.entry[{index}].request is required.");
        var method = request.Method ?? throw new BadRequestException($"Bundle.entry[{index}].request.method is required.");
        var url = (request.Url ?? "").Trim();
        var path = url.Split('?', 2)[0].TrimEnd('/');
        var parts = path.Split('/');
        if (url.Contains('?', StringComparison.Ordinal) || parts.Length is < 1 or > 2 || !SupportedResources.IsWritable(parts[0]))
        {
            throw new BadRequestException($"Bundle.entry[{index}].request.url must be Consent or ImagingStudy (POST) or Type/id (PUT, DELETE); conditional update and delete are not supported.");
        }
        var type = parts[0];
        var id = parts.Length == 2 ? parts[1] : null;
        switch (method)
        {
            case Bundle.HTTPVerb.POST when id is null && entry.Resource?.TypeName == type:
                return new BundleEntryTarget(method, type, null, null);
            case Bundle.HTTPVerb.PUT when id is not null && entry.Resource?.TypeName == type:
                if (entry.Resource.Id is { } bodyId && bodyId != id)
                {
                    throw new BadRequestException($"Bundle.entry[{index}].resource.id differs from the id in request.url.");
                }
                return new BundleEntryTarget(method, type, id, IfMatchVersion(request.IfMatch, index));
            case Bundle.HTTPVerb.DELETE when id is not null:
                return new BundleEntryTarget(method, type, id, IfMatchVersion(request.IfMatch, index));
            case Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT:
                throw new BadRequestException($"Bundle.entry[{index}]: the resource must be a {type} and the url must match the method.");
            default:
                throw new BadRequestException($"Bundle.entry[{index}].request.method {method} is not supported in a bundle here (POST, PUT, DELETE).");
        }
    }

    private static int? IfMatchVersion(string? ifMatch, int index)
    {
        if (string.IsNullOrWhiteSpace(ifMatch))
        {
            return null;
        }
        var text = ifMatch.Trim();
        text = text.StartsWith("W/", StringComparison.Ordinal) ? text[2..] : text;
        return int.TryParse(text.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? version
            : throw new BadRequestException($"Bundle.entry[{index}].request.ifMatch must be an ETag such as W/\"3\".");
    }
}

/// <summary>Rewrites <c>urn:uuid:</c> references inside a transaction to the ids the transaction assigned.</summary>
internal static class UuidReferences
{
    public static void Rewrite(Base element, IReadOnlyDictionary<string, string> map, int index)
    {
        if (element is ResourceReference reference && reference.Reference is { } target
            && target.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase))
        {
            reference.Reference = map.TryGetValue(target, out var resolved)
                ? resolved
                : throw new BadRequestException($"Bundle.entry[{index}]: the reference {target} names no entry of this transaction.");
        }
        foreach (var (_, value) in element.EnumerateElements())
        {
            switch (value)
            {
                case Base child:
                    Rewrite(child, map, index);
                    break;
                case IEnumerable<Base> children:
                    foreach (var child in children)
                    {
                        Rewrite(child, map, index);
                    }
                    break;
            }
        }
    }
}
