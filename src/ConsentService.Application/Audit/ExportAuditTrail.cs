using ConsentService.Application.Security;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using ConsentService.Application.Ports;
using FluentValidation;
using MediatR;

namespace ConsentService.Application.Audit;

/// <summary>
/// Where an export stopped: for each chain, the last sequence exported. Opaque to clients: "v1." followed by the
/// base64url of "chain:seq" pairs joined by ",". Sequences are commit positions, never clock readings, so
/// resuming from a cursor neither skips nor repeats a record however the writers' clocks disagree.
/// </summary>
public sealed class AuditCursor
{
    private const string Version = "v1.";
    private readonly SortedDictionary<string, long> _positions;

    private AuditCursor(SortedDictionary<string, long> positions) => _positions = positions;

    public static AuditCursor Start => new(new SortedDictionary<string, long>(StringComparer.Ordinal));

    public long PositionOf(string chain) => _positions.GetValueOrDefault(chain);

    public void Advance(string chain, long sequence) => _positions[chain] = sequence;

    public static bool TryParse(string? text, out AuditCursor cursor)
    {
        cursor = Start;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }
        if (!text.StartsWith(Version, StringComparison.Ordinal))
        {
            return false;
        }
        string decoded;
        try
        {
            var base64 = text[Version.Length..].Replace('-', '+').Replace('_', '/');
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=')));
        }
        catch (FormatException)
        {
            return false;
        }
        foreach (var pair in decoded.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = pair.LastIndexOf(':');
            if (colon <= 0 || !long.TryParse(pair.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            {
                return false;
            }
            cursor._positions[Uri.UnescapeDataString(pair[..colon])] = seq;
        }
        return true;
    }

    public override string ToString()
    {
        var text = string.Join(",", _positions.Select(p => $"{Uri.EscapeDataString(p.Key)}:{p.Value.ToString(CultureInfo.InvariantCulture)}"));
        return Version + Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}

/// <summary>GET /api/v1/audit/export: committed records after <paramref name="Cursor"/>, at most <paramref name="Limit"/>.</summary>
public sealed record ExportAuditTrailQuery(string? Cursor, int Limit) : IRequest<AuditExport>;

public sealed class ExportAuditTrailValidator : AbstractValidator<ExportAuditTrailQuery>
{
    public const int MaxLimit = 100_000;

    public ExportAuditTrailValidator()
    {
        RuleFor(q => q.Cursor).Must(c => AuditCursor.TryParse(c, out _)).WithName("cursor")
            .WithMessage("cursor is not a cursor this service gave out.");
        RuleFor(q => q.Limit).InclusiveBetween(1, MaxLimit).WithName("limit")
            .WithMessage($"limit must be between 1 and {MaxLimit}.");
    }
}

/// <summary>An export in progress: enumerate <see cref="Records"/> once; <see cref="Cursor"/> then names where the
/// next export resumes.</summary>
public sealed class AuditExport(IAuditLog log, AuditCursor cursor, int limit)
{
    private const int PageSize = 1000;

    public int Exported { get; private set; }

    public string Cursor => cursor.ToString();

    /// <summary>The records, chain by chain, each chain in commit (sequence) order.</summary>
    public async IAsyncEnumerable<ChainedAuditRecord> Records([EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var chain in await log.ChainsAsync(ct).ConfigureAwait(false))
        {
            while (Exported < limit)
            {
                var page = await log.ReadChainAsync(chain, cursor.PositionOf(chain), Math.Min(PageSize, limit - Exported), ct).ConfigureAwait(false);
                if (page.Count == 0)
                {
                    break;
                }
                foreach (var record in page)
                {
                    yield return record;
                    cursor.Advance(chain, record.Sequence);
                    Exported++;
                }
            }
        }
    }
}

public sealed class ExportAuditTrailHandler(IAuditLog log, IRequestCallerAccessor callers) : IRequestHandler<ExportAuditTrailQuery, AuditExport>
{
    public Task<AuditExport> Handle(ExportAuditTrailQuery request, CancellationToken cancellationToken)
    {
        TrailAccess.RequireWholeTrail(callers.Caller);
        AuditCursor.TryParse(request.Cursor, out var cursor);
        return Task.FromResult(new AuditExport(log, cursor, request.Limit));
    }
}
