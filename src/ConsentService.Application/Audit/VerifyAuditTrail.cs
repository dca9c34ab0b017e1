using ConsentService.Application.Security;
using System.Security.Cryptography;
using System.Text;
using ConsentService.Application.Ports;
using FluentValidation;
using MediatR;

namespace ConsentService.Application.Audit;

/// <summary>GET /api/v1/audit/verify: walks every chain and checks each record's sequence, link and hash.</summary>
/// <param name="AnchoredHead">Optional: a head hash anchored outside the service earlier; the trail is valid only
/// if that hash is still a record hash on one of the chains (the records it covered were neither removed nor rewritten).</param>
public sealed record VerifyAuditTrailQuery(string? AnchoredHead = null) : IRequest<AuditVerification>;

/// <summary>The result of a verification.</summary>
/// <param name="Valid">Every record checked and, when given, the anchored head found.</param>
/// <param name="Events">How many records the trail holds (all chains).</param>
/// <param name="Head">The trail's head: the last record's hash for one chain; for several chains, SHA-256 over
/// the lines "chain=head\n" in chain name order. Null for an empty trail.</param>
/// <param name="FirstInvalid">The id of the first record found invalid (in chain order), or null.</param>
/// <param name="Reason">Why the trail is invalid, or null.</param>
/// <param name="Chains">Each chain with its length and head.</param>
/// <param name="AnchoredHeadFound">Whether the anchored head was found (null when none was given).</param>
public sealed record AuditVerification(bool Valid, long Events, string? Head, string? FirstInvalid, string? Reason,
    IReadOnlyList<AuditChainHead> Chains, bool? AnchoredHeadFound);

public sealed record AuditChainHead(string Chain, long Events, string Head);

public sealed class VerifyAuditTrailValidator : AbstractValidator<VerifyAuditTrailQuery>
{
    public VerifyAuditTrailValidator() =>
        RuleFor(q => q.AnchoredHead).Must(AuditChain.IsHash).When(q => q.AnchoredHead is not null)
            .WithName("head").WithMessage("head must be a chain hash: 64 hexadecimal digits.");
}

/// <summary>Store-agnostic: reads chains through <see cref="IAuditLog.ReadChainAsync"/> page by page.</summary>
public sealed class VerifyAuditTrailHandler(IAuditLog log, IRequestCallerAccessor callers) : IRequestHandler<VerifyAuditTrailQuery, AuditVerification>
{
    private const int PageSize = 1000;

    public async Task<AuditVerification> Handle(VerifyAuditTrailQuery request, CancellationToken cancellationToken)
    {
        TrailAccess.RequireWholeTrail(callers.Caller);
        var anchor = request.AnchoredHead?.ToLowerInvariant();
        var anchorFound = false;
        string? firstInvalid = null, reason = null;
        var heads = new List<AuditChainHead>();
        long events = 0;
        foreach (var chain in await log.ChainsAsync(cancellationToken).ConfigureAwait(false))
        {
            long expected = 1, count = 0, last = 0;
            var previous = AuditChain.Genesis;
            while (true)
            {
                var page = await log.ReadChainAsync(chain, last, PageSize, cancellationToken).ConfigureAwait(false);
                if (page.Count == 0)
                {
                    break;
                }
                foreach (var record in page)
                {
                    count++;
                    if (firstInvalid is null && Check(chain, expected, previous, record) is { } problem)
                    {
                        firstInvalid = record.Record.Id;
                        reason = problem;
                    }
                    anchorFound |= anchor is not null && string.Equals(record.Hash, anchor, StringComparison.Ordinal);
                    previous = record.Hash;
                    expected = record.Sequence + 1;
                    last = record.Sequence;
                }
            }
            events += count;
            heads.Add(new AuditChainHead(chain, count, previous));
        }
        if (firstInvalid is null && anchor is not null && !anchorFound)
        {
            reason = "The anchored head is not a record of this trail: the records it covered were removed or rewritten.";
        }
        return new AuditVerification(reason is null, events, Head(heads), firstInvalid, reason, heads,
            anchor is null ? null : anchorFound);
    }

    private static string? Check(string chain, long expected, string previous, ChainedAuditRecord record)
    {
        if (record.Sequence != expected)
        {
            return record.Sequence > expected
                ? $"Records {expected}..{record.Sequence - 1} of chain '{chain}' are missing before it: records were removed."
                : $"Its sequence {record.Sequence} on chain '{chain}' repeats or goes back (expected {expected}).";
        }
        if (!string.Equals(record.PreviousHash, previous, StringComparison.Ordinal))
        {
            return "Its previous-record hash does not match the record before it: records were removed, inserted or reordered.";
        }
        var hash = AuditChain.Hash(record.PreviousHash, record.Sequence, record.Record.Id, record.Record.Recorded, record.Record.Json);
        return string.Equals(hash, record.Hash, StringComparison.Ordinal)
            ? null
            : "Its content does not match its hash: the record was altered.";
    }

    private static string? Head(List<AuditChainHead> heads) => heads.Count switch
    {
        0 => null,
        1 => heads[0].Head,
        _ => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Concat(heads.OrderBy(h => h.Chain, StringComparer.Ordinal).Select(h => $"{h.Chain}={h.Head}\n"))))),
    };
}
