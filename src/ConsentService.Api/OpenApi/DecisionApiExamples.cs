namespace ConsentService.Api.OpenApi;

/// <summary>
/// Examples for the JSON decision API, keyed by operationId. They are the service's real answers (captured from a
/// running instance with a CT of the head under an opt-in Consent), so a reader sees exactly what arrives, and a
/// test proves each one still deserializes into the contract types.
/// </summary>
public static class DecisionApiExamples
{
    public const string Study = "2.25.184127939512354983275493861234";
    public const string UnknownStudy = "2.25.99999";

    public const string DecisionRequest = $$"""
        {
          "study": "{{Study}}",
          "actor": "Organization/acme-ai",
          "purpose": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "MLTRAINING" },
          "action": "use"
        }
        """;

    public const string Permit = $$"""
        {
          "decisionId": "e8eab1c8-5066-4ba9-a929-0cda00d964cb",
          "decision": "permit",
          "basis": "consent",
          "study": "{{Study}}",
          "imagingStudy": "ImagingStudy/002b4a26-562a-4d02-9aa4-6f26b82644e8",
          "actor": "Organization/acme-ai",
          "purpose": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "MLTRAINING" },
          "action": "use",
          "at": "2026-11-25T01:36:53.8374161+00:00",
          "consent": "Consent/a2c2ec4d-1817-4447-849b-fbc1179c5ca6/_history/1",
          "provisionPath": "provision",
          "reasons": [
            "Consent/a2c2ec4d-1817-4447-849b-fbc1179c5ca6/_history/1 speaks to this request; its base answer is permit (policyRule OPTIN).",
            "The study is face-bearing (CT, MR or PT of head, brain, face or neck, or with no body site), so it must be defaced."
          ],
          "obligations": [
            { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "DEID", "display": "de-identification" },
            { "system": "http://dicom.nema.org/resources/ontology/DCM", "code": "113102", "display": "Clean Recognizable Visual Features Option" }
          ],
          "policy": { "id": "opt-in", "version": "1" }
        }
        """;

    private const string UnknownStudyDeny = $$"""
        {
          "decisionId": "b8001c8c-1ab0-410b-82f3-2d69bcadd766",
          "decision": "deny",
          "basis": "unknown-study",
          "study": "{{UnknownStudy}}",
          "imagingStudy": null,
          "actor": "Organization/acme-ai",
          "purpose": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "MLTRAINING" },
          "action": "use",
          "at": "2026-11-25T01:36:54.0307651+00:00",
          "consent": null,
          "provisionPath": null,
          "reasons": [ "No ImagingStudy with this identity is registered (at the decision instant), so nothing may be used." ],
          "obligations": [],
          "policy": { "id": "opt-in", "version": "1" }
        }
        """;

    public const string BatchRequest = $$"""
        {
          "studies": [ "{{Study}}", "{{UnknownStudy}}" ],
          "actor": "Organization/acme-ai",
          "purpose": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "MLTRAINING" },
          "action": "use"
        }
        """;

    public const string BatchResult = $$"""
        {
          "results": [ {{Permit}}, {{UnknownStudyDeny}} ],
          "summary": { "permit": 1, "deny": 0, "unknownStudy": 1 }
        }
        """;

    public const string CohortRequest = """
        {
          "actor": "Organization/acme-ai",
          "purpose": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "MLTRAINING" },
          "action": "use",
          "filter": { "modality": [ "CT" ], "bodySite": [ "69536005" ], "startedFrom": "2024-01-01T00:00:00Z" }
        }
        """;

    public const string CohortSummaryLine = """
        { "summary": { "matched": 1, "permitted": 1, "deniedByConsent": 0, "deniedByPolicy": 0 } }
        """;

    /// <summary>The NDJSON stream as sent: one line per permitted study, then the summary line.</summary>
    public static string CohortStream() =>
        string.Join("\n", System.Text.Json.Nodes.JsonNode.Parse(Permit)!.ToJsonString(), System.Text.Json.Nodes.JsonNode.Parse(CohortSummaryLine)!.ToJsonString()) + "\n";

    /// <summary>RFC 9457 problem details as the service writes them, for one operation and status.</summary>
    public static string Problem(string operationId, int status) => (operationId, status) switch
    {
        (_, 400) when operationId == "decideBatch" => ProblemJson(status, "Bad Request", "/api/v1/decisions/batch",
            "studies must list at least one study.", ("studies", "studies must list at least one study.")),
        (_, 400) when operationId == "decideCohort" => ProblemJson(status, "Bad Request", "/api/v1/decisions/cohort",
            "Unknown field 'modalities'.", ("modalities", "Unknown field 'modalities'.")),
        (_, 400) => ProblemJson(status, "Bad Request", Instance(operationId),
            "study must be a DICOM Study Instance UID (bare or urn:oid:) or ImagingStudy/<id>. actor must be an Organization reference such as \"Organization/acme-ai\".",
            ("study", "study must be a DICOM Study Instance UID (bare or urn:oid:) or ImagingStudy/<id>."),
            ("actor", "actor must be an Organization reference such as \"Organization/acme-ai\".")),
        (_, 404) => ProblemJson(status, "Not Found", Instance(operationId), "No ImagingStudy with this identity is registered."),
        (_, 413) => ProblemJson(status, "Content Too Large", Instance(operationId), "The request body exceeds the limit of 10485760 bytes."),
        (_, 415) => ProblemJson(status, "Unsupported Media Type", Instance(operationId), "Content-Type 'text/plain' is not supported; send application/json."),
        (_, 503) => ProblemJson(status, "Service Unavailable", Instance(operationId),
            "The audit trail could not be written, so no decision is given."),
        _ => ProblemJson(status, "Error", Instance(operationId), "The request failed."),
    };

    private static string Instance(string operationId) => operationId switch
    {
        "decideBatch" => "/api/v1/decisions/batch",
        "decideCohort" => "/api/v1/decisions/cohort",
        _ => "/api/v1/decisions",
    };

    internal static string ProblemJson(int status, string title, string instance, string detail, params (string Field, string Message)[] errors)
    {
        var problem = new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = $"https://httpstatuses.io/{status}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["instance"] = instance,
        };
        if (errors.Length > 0)
        {
            var map = new System.Text.Json.Nodes.JsonObject();
            foreach (var (field, message) in errors)
            {
                map[field] = new System.Text.Json.Nodes.JsonArray(message);
            }
            problem["errors"] = map;
        }
        return problem.ToJsonString();
    }
}
