using System.Text.Json.Nodes;

namespace ConsentService.Api.OpenApi;

/// <summary>
/// Examples for the audit API (verify, export, disclosures), keyed by operationId. Captured from a running instance
/// holding the Consent and the CT of <see cref="FhirExamples"/>, one permit (<see cref="DecisionApiExamples.Permit"/>)
/// and the export a PACS reported for it (<see cref="FhirExamples.DisclosureReport"/>); ids are those of the other
/// examples, so the document tells one story.
/// </summary>
public static class AuditApiExamples
{
    /// <summary>A valid trail of four records on one chain.</summary>
    public const string Verification = """
        {
          "valid": true,
          "events": 4,
          "head": "6c2433ef6f09767ca6f18d0435d426ed5f673eb151144f4b0d81dd230e5c0b33",
          "firstInvalid": null,
          "reason": null,
          "chains": [
            {
              "chain": "main",
              "events": 4,
              "head": "6c2433ef6f09767ca6f18d0435d426ed5f673eb151144f4b0d81dd230e5c0b33"
            }
          ],
          "anchoredHeadFound": null
        }
        """;

    /// <summary>Patient/p-1042's accounting: the permit and the export the PACS reported, to one recipient.</summary>
    public const string Disclosures = """
        {
          "patient": "Patient/p-1042",
          "recipients": [
            {
              "recipient": "Organization/acme-ai",
              "permitted": [
                {
                  "decisionId": "e8eab1c8-5066-4ba9-a929-0cda00d964cb",
                  "imagingStudy": "ImagingStudy/002b4a26-562a-4d02-9aa4-6f26b82644e8",
                  "study": "urn:oid:2.25.184127939512354983275493861234",
                  "at": "2026-11-25T01:56:09.8113827+00:00",
                  "purpose": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                    "code": "MLTRAINING"
                  },
                  "consent": "Consent/a2c2ec4d-1817-4447-849b-fbc1179c5ca6/_history/1"
                }
              ],
              "exported": [
                {
                  "eventId": "04c5097e-6c5d-4b60-b545-21a219b1503c",
                  "imagingStudy": "ImagingStudy/002b4a26-562a-4d02-9aa4-6f26b82644e8",
                  "study": "urn:oid:2.25.184127939512354983275493861234",
                  "at": "2026-11-25T02:10:00+00:00",
                  "purpose": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                    "code": "MLTRAINING"
                  },
                  "decision": "e8eab1c8-5066-4ba9-a929-0cda00d964cb",
                  "consent": "Consent/a2c2ec4d-1817-4447-849b-fbc1179c5ca6/_history/1"
                }
              ]
            }
          ]
        }
        """;

    /// <summary>The last line of an export: the cursor after the events it sent (resume with ?cursor=...).</summary>
    public const string ExportEnd = """
        { "cursor": "v1.bWFpbjo0", "events": 2 }
        """;

    /// <summary>GET /api/v1/audit/export?cursor=v1.bWFpbjoy&amp;limit=2 as sent: the decision's AuditEvent and the
    /// reported disclosure, one JSON object a line, then the closing cursor line.</summary>
    public static string ExportStream() => string.Join("\n",
        JsonNode.Parse(FhirExamples.DecisionAuditEvent)!.ToJsonString(),
        FhirExamples.DisclosureAuditEvent().ToJsonString(),
        JsonNode.Parse(ExportEnd)!.ToJsonString()) + "\n";

    /// <summary>The problem details the audit API answers with (messages as its validators write them; note that
    /// their <c>errors</c> keys are the query's property names).</summary>
    public static string Problem(string operationId, int status) => (operationId, status) switch
    {
        ("verifyAuditTrail", 400) => DecisionApiExamples.ProblemJson(status, "Bad Request", "/api/v1/audit/verify",
            "head must be a chain hash: 64 hexadecimal digits.", ("AnchoredHead", "head must be a chain hash: 64 hexadecimal digits.")),
        ("exportAuditTrail", 400) => DecisionApiExamples.ProblemJson(status, "Bad Request", "/api/v1/audit/export",
            "cursor is not a cursor this service gave out.", ("Cursor", "cursor is not a cursor this service gave out.")),
        ("accountDisclosures", 400) => DecisionApiExamples.ProblemJson(status, "Bad Request", "/api/v1/disclosures",
            "patient must be a Patient reference, e.g. Patient/123.", ("Patient", "patient must be a Patient reference, e.g. Patient/123.")),
        // Today the one store that answers 503 here is Cosmos DB, whose audit chains and search are still being built.
        ("accountDisclosures", 503) => DecisionApiExamples.ProblemJson(status, "Service Unavailable", Instance(operationId),
            "AuditEvent search is not yet available on the Cosmos DB store."),
        (_, 503) => DecisionApiExamples.ProblemJson(status, "Service Unavailable", Instance(operationId),
            "Audit chains are not yet available on the Cosmos DB store."),
        _ => DecisionApiExamples.ProblemJson(status, "Error", Instance(operationId), "The request failed."),
    };

    public static string Instance(string operationId) => operationId switch
    {
        "verifyAuditTrail" => "/api/v1/audit/verify",
        "exportAuditTrail" => "/api/v1/audit/export",
        _ => "/api/v1/disclosures",
    };
}
