using ConsentService.Application.Audit;
using ConsentService.Application.Security;
using MediatR;

namespace ConsentService.Application.Decisions;

/// <summary>POST /api/v1/decisions: one study. An unknown study is a 404 (nothing is decided about it).</summary>
public sealed record DecideCommand(DecisionQuery Query) : IRequest<DecisionResult>;

public sealed class DecideHandler(DecisionService decisions, IRequestCallerAccessor callers) : IRequestHandler<DecideCommand, DecisionResult>
{
    public async Task<DecisionResult> Handle(DecideCommand request, CancellationToken cancellationToken)
    {
        var query = request.Query;
        StudyReference.TryParse(query.Study, out var study);
        var decided = await decisions.DecideAsync([study], callers.Caller, query.Actor, query.ActorIdentifier, DecisionService.Purpose(query.Purpose),
            query.Action ?? Domain.Decisions.DecisionRequest.DefaultAction, query.At, unknownIsNotFound: true, cancellationToken).ConfigureAwait(false);
        return decided[0].Result;
    }
}

/// <summary>POST /api/v1/decisions/batch: up to 10,000 studies, answered in order; an unknown study is a deny with
/// basis unknown-study.</summary>
public sealed record DecideBatchCommand(BatchDecisionQuery Query) : IRequest<BatchDecisionResult>;

public sealed class DecideBatchHandler(DecisionService decisions, IRequestCallerAccessor callers) : IRequestHandler<DecideBatchCommand, BatchDecisionResult>
{
    public async Task<BatchDecisionResult> Handle(DecideBatchCommand request, CancellationToken cancellationToken)
    {
        var query = request.Query;
        var studies = query.Studies!.Select(s =>
        {
            StudyReference.TryParse(s, out var reference);
            return reference;
        }).ToArray();
        var decided = await decisions.DecideAsync(studies, callers.Caller, query.Actor, query.ActorIdentifier, DecisionService.Purpose(query.Purpose),
            query.Action ?? Domain.Decisions.DecisionRequest.DefaultAction, query.At, unknownIsNotFound: false, cancellationToken).ConfigureAwait(false);
        var results = decided.Select(d => d.Result).ToArray();
        var unknown = results.Count(r => r.Basis == DecisionValues.BasisUnknownStudy);
        var permit = results.Count(r => r.Decision == DecisionValues.Permit);
        return new BatchDecisionResult(results, new BatchSummary(permit, results.Length - permit - unknown, unknown));
    }
}
