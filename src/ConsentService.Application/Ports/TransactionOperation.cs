namespace ConsentService.Application.Ports;

/// <summary>One write of an atomic transaction (<see cref="IResourceStore.TransactAsync"/>).</summary>
public abstract record TransactionOperation;

/// <summary>Creates version 1. With <paramref name="IfNoneExist"/> it is a conditional create whose outcome the
/// caller has already predicted (it resolved references against it): <paramref name="ExpectedMatchId"/> null means
/// "no match, create", an id means "exactly this resource matches, write nothing". If the store finds otherwise
/// inside the transaction (a concurrent writer changed the answer), the whole transaction fails with
/// <see cref="PreconditionFailedException"/> and the client may retry. <paramref name="CheckedAt"/>: the store's
/// <see cref="WriteStamps.Now"/> taken before the criteria were searched; a store that stamps its writes need not
/// search them again when nothing written since (nor earlier in the same transaction) can have changed the answer.</summary>
public sealed record CreateOperation(ResourceWrite Write, SearchQuery? IfNoneExist = null, string? ExpectedMatchId = null, long? CheckedAt = null) : TransactionOperation;

/// <summary>Update, or create with the given id (honours <see cref="ResourceWrite.IfMatchVersion"/>).</summary>
public sealed record UpsertOperation(ResourceWrite Write) : TransactionOperation;

/// <summary>Delete (a delete version); nothing happens when the resource does not exist or is deleted.
/// <paramref name="Audit"/> builds the delete's AuditEvent, committed with the delete version (as
/// <see cref="ResourceWrite.Audit"/> does for creates and updates).</summary>
public sealed record DeleteOperation(string ResourceType, string Id, int? IfMatchVersion = null, WriteAudit? Audit = null) : TransactionOperation;

/// <summary>The result of one operation: the version written (or matched, or null for a delete of nothing) and
/// whether the operation created the resource.</summary>
public sealed record TransactionOutcome(StoredResource? Resource, bool Created);
