using System.Globalization;
using ConsentService.Application.Ports;
using ConsentService.Application.Resources;
using Hl7.Fhir.Model;

namespace ConsentService.Api.Fhir;

/// <summary>Builds searchset and history bundles with paging links.</summary>
public static class Bundles
{
    /// <summary>History paging parameters; rewritten in each next link, the client's other parameters kept.</summary>
    private static readonly HashSet<string> HistoryPagingParameters = new(StringComparer.Ordinal) { "_count", "_cursor" };

    public static Bundle Searchset(HttpRequest request, string resourceType, SearchResult result)
    {
        var query = result.Search.Query;
        var page = result.Page;
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = page.Total, Id = Guid.NewGuid().ToString(), Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        var baseUrl = FhirResponses.BaseUrl(request);
        string Link(int offset) => $"{baseUrl}/{resourceType}?{result.Search.ToQueryString(offset, page.Snapshot, query.Count)}";
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = Link(query.Offset) });
        if (!query.SummaryCount && query.Count > 0)
        {
            if (query.Offset + page.Resources.Count < page.Total)
            {
                bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = Link(query.Offset + query.Count) });
            }
            if (query.Offset > 0)
            {
                bundle.Link.Add(new Bundle.LinkComponent { Relation = "previous", Url = Link(Math.Max(0, query.Offset - query.Count)) });
            }
        }
        foreach (var stored in page.Resources)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/{stored.ResourceType}/{stored.Id}",
                Resource = FhirSerialization.ParseStored(stored.Json),
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }
        if (result.Search.Warnings.Count > 0)
        {
            var outcome = new OperationOutcome();
            foreach (var warning in result.Search.Warnings)
            {
                outcome.Issue.Add(new OperationOutcome.IssueComponent
                {
                    Severity = OperationOutcome.IssueSeverity.Warning,
                    Code = OperationOutcome.IssueType.NotSupported,
                    Diagnostics = warning,
                });
            }
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = outcome,
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Outcome },
            });
        }
        return bundle;
    }

    public static Bundle History(HttpRequest request, string path, HistoryQuery query, HistoryPage page)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.History, Total = page.Total, Id = Guid.NewGuid().ToString(), Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        var baseUrl = FhirResponses.BaseUrl(request);
        var kept = KeptParameters(request);
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = Url($"{baseUrl}/{path}", request.Query.Where(q => q.Key != "_format").Select(q => new KeyValuePair<string, string>(q.Key, q.Value.ToString()))) });
        if (page.NextBefore is { } before)
        {
            bundle.Link.Add(new Bundle.LinkComponent
            {
                Relation = "next",
                Url = Url($"{baseUrl}/{path}", kept.Concat(
                [
                    new("_count", query.Count.ToString(CultureInfo.InvariantCulture)),
                    new("_cursor", before.ToString(CultureInfo.InvariantCulture)),
                ])),
            });
        }
        foreach (var version in page.Versions)
        {
            var url = $"{version.ResourceType}/{version.Id}";
            var entry = new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/{url}",
                Request = new Bundle.RequestComponent
                {
                    Method = version.IsDeleted ? Bundle.HTTPVerb.DELETE : version.VersionId == 1 ? Bundle.HTTPVerb.POST : Bundle.HTTPVerb.PUT,
                    Url = version.IsDeleted || version.VersionId > 1 ? url : version.ResourceType,
                },
                Response = new Bundle.ResponseComponent
                {
                    Status = version.IsDeleted ? "204" : version.VersionId == 1 ? "201" : "200",
                    Etag = FhirResponses.ETag(version.VersionId),
                    LastModified = version.LastUpdated,
                },
            };
            if (!version.IsDeleted)
            {
                entry.Resource = FhirSerialization.ParseStored(version.Json);
            }
            bundle.Entry.Add(entry);
        }
        return bundle;
    }

    private static List<KeyValuePair<string, string>> KeptParameters(HttpRequest request) =>
        request.Query.Where(q => !HistoryPagingParameters.Contains(q.Key))
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? "")))
            .ToList();

    private static string Url(string path, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var query = string.Join("&", parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        return query.Length == 0 ? path : $"{path}?{query}";
    }
}
