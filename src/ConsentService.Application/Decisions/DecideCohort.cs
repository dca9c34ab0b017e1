using ConsentService.Application.Audit;
using FluentValidation;
using MediatR;

namespace ConsentService.Application.Decisions;

/// <summary>POST /api/v1/decisions/cohort: every registered study matching the filter, decided for one actor and
/// purpose; the permitted ones are streamed (NDJSON), then the summary.</summary>
public sealed record DecideCohortCommand(CohortQuery Query) : IRequest<IAsyncEnumerable<CohortLine>>;

public sealed class DecideCohortHandler(DecisionService decisions, IRequestCallerAccessor callers) : IRequestHandler<DecideCohortCommand, IAsyncEnumerable<CohortLine>>
{
    public Task<IAsyncEnumerable<CohortLine>> Handle(DecideCohortCommand request, CancellationToken cancellationToken)
    {
        var query = request.Query;
        return Task.FromResult(decisions.DecideCohortAsync(query.Filter, callers.Caller, query.Actor, query.ActorIdentifier, DecisionService.Purpose(query.Purpose),
            query.Action ?? Domain.Decisions.DecisionRequest.DefaultAction, cancellationToken));
    }
}

public sealed class DecideCohortValidator : AbstractValidator<DecideCohortCommand>
{
    public DecideCohortValidator(TimeProvider clock, IRequestCallerAccessor callers)
    {
        DecisionRequestRules.Apply(this, c => c.Query.Actor, c => c.Query.ActorIdentifier, c => c.Query.Purpose, c => c.Query.Action, _ => null, clock,
            _ => callers.Caller.IsVendorBound);
        RuleFor(c => c.Query.Filter).Custom((filter, context) =>
        {
            if (filter is null)
            {
                return;
            }
            if (filter.Modality?.Any(string.IsNullOrWhiteSpace) == true)
            {
                context.AddFailure("filter.modality", "Each modality must be a DICOM modality code such as CT or MR.");
            }
            if (filter.BodySite?.Any(string.IsNullOrWhiteSpace) == true)
            {
                context.AddFailure("filter.bodySite", "Each body site must be a SNOMED CT code.");
            }
            if (filter.StartedFrom is { } from && filter.StartedTo is { } to && from > to)
            {
                context.AddFailure("filter.startedFrom", "startedFrom is after startedTo.");
            }
        });
    }
}
