using System.Text.Json;
using System.Text.Json.Serialization;
using ConsentService.Application.Decisions;

namespace ConsentService.Api.Endpoints;

/// <summary>Source-generated JSON for the decision API: no reflection on the hot path, and unknown request fields
/// are refused (a misspelt field must not silently fall back to a default).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, MaxDepth = 16)]
[JsonSerializable(typeof(DecisionQuery))]
[JsonSerializable(typeof(BatchDecisionQuery))]
[JsonSerializable(typeof(DecisionResult))]
[JsonSerializable(typeof(BatchDecisionResult))]
[JsonSerializable(typeof(CohortQuery))]
[JsonSerializable(typeof(CohortSummaryLine))]
internal sealed partial class DecisionJsonContext : JsonSerializerContext;
