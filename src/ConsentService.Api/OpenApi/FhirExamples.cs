using System.Text.Json.Nodes;
using ConsentService.Application.Resources;

namespace ConsentService.Api.OpenApi;

/// <summary>
/// FHIR R4 examples for the /fhir operations: an opt-in Consent for AI training, a CT of the head it covers, the
/// Bundles the server answers with, and OperationOutcomes as its error mapping writes them. Every resource here is
/// parsed by the server's own strict parser when the document is built, so an invalid example fails at start-up
/// of the document, not in a vendor's hands.
/// </summary>
public static class FhirExamples
{
    private const string BaseUrl = "https://consents.example.org/fhir";
    private const string ConsentId = "a2c2ec4d-1817-4447-849b-fbc1179c5ca6";
    private const string StudyId = "002b4a26-562a-4d02-9aa4-6f26b82644e8";
    private const string LastUpdated = "2026-11-25T01:36:53.555866Z";

    public const string Consent = """
        {
          "resourceType": "Consent",
          "status": "active",
          "scope": { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy" } ] },
          "category": [ { "coding": [ { "system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent" } ] } ],
          "patient": { "reference": "Patient/p-1042" },
          "dateTime": "2025-01-15T10:00:00Z",
          "policyRule": { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN" } ] },
          "provision": {
            "period": { "start": "2025-01-01", "end": "2030-12-31" },
            "actor": [ {
              "role": { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP" } ] },
              "reference": { "reference": "Organization/acme-ai" }
            } ],
            "action": [ { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "use" } ] } ],
            "purpose": [ { "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "MLTRAINING" } ]
          }
        }
        """;

    public const string ImagingStudy = $$"""
        {
          "resourceType": "ImagingStudy",
          "status": "available",
          "identifier": [ { "system": "urn:dicom:uid", "value": "urn:oid:{{DecisionApiExamples.Study}}" } ],
          "subject": { "reference": "Patient/p-1042" },
          "started": "2024-06-01T08:30:00Z",
          "modality": [ { "system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT" } ],
          "series": [ {
            "uid": "{{DecisionApiExamples.Study}}.1",
            "modality": { "system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT" },
            "bodySite": { "system": "http://snomed.info/sct", "code": "69536005", "display": "Head structure" }
          } ]
        }
        """;

    /// <summary>The example resource of a type as a client sends it (no id; with <paramref name="id"/> for PUT).</summary>
    public static JsonObject Resource(string type, string? id = null)
    {
        var resource = (JsonObject)JsonNode.Parse(type == SupportedResources.Consent ? Consent : ImagingStudy)!;
        if (id is not null)
        {
            resource.Insert(1, "id", id);
        }
        return resource;
    }

    /// <summary>The example resource of a type as the server stores and returns it (id and meta).</summary>
    public static JsonObject Stored(string type, string versionId = "1")
    {
        var resource = Resource(type, IdOf(type));
        resource["meta"] = new JsonObject { ["versionId"] = versionId, ["lastUpdated"] = LastUpdated };
        return resource;
    }

    public static string IdOf(string type) => type == SupportedResources.Consent ? ConsentId : StudyId;

    public static JsonObject Searchset(string type) => new()
    {
        ["resourceType"] = "Bundle",
        ["id"] = "6127e45b-9544-454f-8cd7-0c91741b7048",
        ["meta"] = new JsonObject { ["lastUpdated"] = "2026-11-25T01:36:58.9102365+00:00" },
        ["type"] = "searchset",
        ["total"] = 1,
        ["link"] = new JsonArray(new JsonObject
        {
            ["relation"] = "self",
            ["url"] = type == SupportedResources.Consent
                ? $"{BaseUrl}/Consent?patient=Patient/p-1042&status=active&_count=20&_snapshot=2"
                : $"{BaseUrl}/ImagingStudy?identifier=urn:dicom:uid%7Curn:oid:{DecisionApiExamples.Study}&_count=20&_snapshot=2",
        }),
        ["entry"] = new JsonArray(new JsonObject
        {
            ["fullUrl"] = $"{BaseUrl}/{type}/{IdOf(type)}",
            ["resource"] = Stored(type),
            ["search"] = new JsonObject { ["mode"] = "match" },
        }),
    };

    public static JsonObject History(string type, bool instance) => new()
    {
        ["resourceType"] = "Bundle",
        ["id"] = "da274500-bc70-40a0-984f-05561df1d6ee",
        ["meta"] = new JsonObject { ["lastUpdated"] = "2026-11-25T01:36:59.0869084+00:00" },
        ["type"] = "history",
        ["total"] = 1,
        ["link"] = new JsonArray(new JsonObject
        {
            ["relation"] = "self",
            ["url"] = instance ? $"{BaseUrl}/{type}/{IdOf(type)}/_history" : $"{BaseUrl}/{type}/_history",
        }),
        ["entry"] = new JsonArray(new JsonObject
        {
            ["fullUrl"] = $"{BaseUrl}/{type}/{IdOf(type)}",
            ["resource"] = Stored(type),
            ["request"] = new JsonObject { ["method"] = "POST", ["url"] = type },
            ["response"] = new JsonObject { ["status"] = "201", ["lastModified"] = LastUpdated, ["etag"] = "W/\"1\"" },
        }),
    };

    public static JsonObject Transaction()
    {
        var study = Resource(SupportedResources.ImagingStudy);
        return new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "transaction",
            ["entry"] = new JsonArray(
                new JsonObject
                {
                    ["fullUrl"] = "urn:uuid:5a1f0c9e-3d4b-4f7a-9e2c-1b8d6f0a4c37",
                    ["resource"] = Resource(SupportedResources.Consent),
                    ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Consent" },
                },
                new JsonObject
                {
                    ["fullUrl"] = "urn:uuid:9c7e2b1a-6f3d-4e8b-a5c4-2d0f9e8b7a61",
                    ["resource"] = study,
                    ["request"] = new JsonObject
                    {
                        ["method"] = "POST",
                        ["url"] = "ImagingStudy",
                        ["ifNoneExist"] = $"identifier=urn:dicom:uid|urn:oid:{DecisionApiExamples.Study}",
                    },
                }),
        };
    }

    public static JsonObject TransactionResponse() => new()
    {
        ["resourceType"] = "Bundle",
        ["id"] = "5c9632e6-80c9-4454-a7e5-a8d8f3fd6d8e",
        ["meta"] = new JsonObject { ["lastUpdated"] = "2026-11-25T01:36:59.9537174+00:00" },
        ["type"] = "transaction-response",
        ["entry"] = new JsonArray(
            TransactionEntry(SupportedResources.Consent, "2026-11-25T01:36:59.931878+00:00"),
            TransactionEntry(SupportedResources.ImagingStudy, "2026-11-25T01:36:59.932764+00:00")),
    };

    private static JsonObject TransactionEntry(string type, string lastModified) => new()
    {
        ["fullUrl"] = $"{BaseUrl}/{type}/{IdOf(type)}",
        ["response"] = new JsonObject
        {
            ["status"] = "201 Created",
            ["location"] = $"{type}/{IdOf(type)}/_history/1",
            ["etag"] = "W/\"1\"",
            ["lastModified"] = lastModified,
        },
    };

    /// <summary>An abridged CapabilityStatement: the real one lists every search parameter of both types.</summary>
    public static JsonObject Capabilities()
    {
        JsonObject Rest(string type) => new()
        {
            ["type"] = type,
            ["interaction"] = new JsonArray(
                new[] { "read", "vread", "update", "delete", "history-instance", "history-type", "create", "search-type" }
                    .Select(code => (JsonNode)new JsonObject { ["code"] = code }).ToArray()),
            ["versioning"] = "versioned",
            ["readHistory"] = true,
            ["updateCreate"] = true,
            ["conditionalCreate"] = true,
            ["searchParam"] = new JsonArray(type == SupportedResources.Consent
                ? new JsonObject { ["name"] = "patient", ["type"] = "reference", ["documentation"] = "Who the consent applies to" }
                : new JsonObject { ["name"] = "identifier", ["type"] = "token", ["documentation"] = "Identifiers for the Study, such as DICOM Study Instance UID" }),
        };
        return new JsonObject
        {
            ["resourceType"] = "CapabilityStatement",
            ["name"] = "ConsentService",
            ["title"] = "ConsentService: patients' consent to AI training on imaging studies",
            ["status"] = "active",
            ["date"] = "2026-11-25",
            ["publisher"] = "ConsentService",
            ["kind"] = "instance",
            ["software"] = new JsonObject { ["name"] = "ConsentService", ["version"] = "1.0.0" },
            ["implementation"] = new JsonObject { ["description"] = "ConsentService FHIR R4 endpoint", ["url"] = BaseUrl },
            ["fhirVersion"] = "4.0.1",
            ["format"] = new JsonArray("application/fhir+json", "application/fhir+xml", "json", "xml"),
            ["rest"] = new JsonArray(new JsonObject
            {
                ["mode"] = "server",
                ["resource"] = new JsonArray(Rest(SupportedResources.Consent), Rest(SupportedResources.ImagingStudy)),
            }),
        };
    }

    /// <summary>The AuditEvent of the permit in DecisionApiExamples.Permit (BALP AuthZ-Consent), as the service recorded it for a vendor-bound token: its id is the decisionId.</summary>
    public const string DecisionAuditEvent = """
        {
          "resourceType": "AuditEvent",
          "id": "e8eab1c8-5066-4ba9-a929-0cda00d964cb",
          "type": {
            "system": "http://dicom.nema.org/resources/ontology/DCM",
            "code": "110113",
            "display": "Security Alert"
          },
          "subtype": [
            {
              "system": "https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType",
              "code": "AuthZ-Consent",
              "display": "Authorization Decision using Roles and Consent"
            }
          ],
          "action": "E",
          "recorded": "2026-11-25T01:56:09.8113827+00:00",
          "outcome": "0",
          "outcomeDesc": "Permit",
          "purposeOfEvent": [
            {
              "coding": [
                {
                  "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                  "code": "MLTRAINING"
                }
              ]
            }
          ],
          "agent": [
            {
              "type": {
                "coding": [
                  {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                    "code": "IRCP"
                  }
                ],
                "text": "information recipient"
              },
              "who": {
                "reference": "Organization/acme-ai"
              },
              "requestor": false,
              "purposeOfUse": [
                {
                  "coding": [
                    {
                      "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                      "code": "MLTRAINING"
                    }
                  ]
                }
              ]
            },
            {
              "type": {
                "coding": [
                  {
                    "system": "http://dicom.nema.org/resources/ontology/DCM",
                    "code": "110153"
                  }
                ],
                "text": "Source Role ID"
              },
              "who": {
                "reference": "Organization/acme-ai",
                "identifier": {
                  "type": {
                    "text": "OAuth client_id"
                  },
                  "value": "vendor-acme-ai"
                },
                "display": "vendor-acme-ai"
              },
              "requestor": true
            },
            {
              "type": {
                "coding": [
                  {
                    "system": "http://dicom.nema.org/resources/ontology/DCM",
                    "code": "110152"
                  }
                ],
                "text": "Destination Role ID"
              },
              "who": {
                "reference": "Device/consent-service",
                "display": "ConsentService"
              },
              "requestor": false
            }
          ],
          "source": {
            "site": "vm",
            "observer": {
              "reference": "Device/consent-service",
              "display": "ConsentService@vm"
            },
            "type": [
              {
                "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                "code": "6",
                "display": "Security Server"
              }
            ]
          },
          "entity": [
            {
              "what": {
                "reference": "Patient/p-1042"
              },
              "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                "code": "1",
                "display": "Person"
              },
              "role": {
                "system": "http://terminology.hl7.org/CodeSystem/object-role",
                "code": "1",
                "display": "Patient"
              }
            },
            {
              "what": {
                "reference": "ImagingStudy/002b4a26-562a-4d02-9aa4-6f26b82644e8",
                "identifier": {
                  "system": "urn:dicom:uid",
                  "value": "urn:oid:2.25.184127939512354983275493861234"
                }
              },
              "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                "code": "2",
                "display": "System Object"
              },
              "role": {
                "system": "http://terminology.hl7.org/CodeSystem/object-role",
                "code": "4",
                "display": "Domain Resource"
              },
              "detail": [
                {
                  "type": "decision",
                  "valueString": "permit"
                },
                {
                  "type": "basis",
                  "valueString": "consent"
                },
                {
                  "type": "action",
                  "valueString": "use"
                },
                {
                  "type": "policy",
                  "valueString": "opt-in|1"
                },
                {
                  "type": "provisionPath",
                  "valueString": "provision"
                },
                {
                  "type": "obligation",
                  "valueString": "http://terminology.hl7.org/CodeSystem/v3-ActCode|DEID"
                },
                {
                  "type": "obligation",
                  "valueString": "http://dicom.nema.org/resources/ontology/DCM|113102"
                }
              ]
            },
            {
              "what": {
                "reference": "Consent/a2c2ec4d-1817-4447-849b-fbc1179c5ca6/_history/1"
              },
              "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                "code": "2",
                "display": "System Object"
              },
              "role": {
                "system": "http://terminology.hl7.org/CodeSystem/object-role",
                "code": "4",
                "display": "Domain Resource"
              },
              "description": "The Consent version the decision rests on"
            }
          ]
        }
        """;

    /// <summary>A PACS export gateway reports that it sent the study to the recipient: a BALP privacy disclosure (DCM 110106 Export, iso-21089-lifecycle disclose) naming the study by its DICOM UID and the decision it rests on.</summary>
    public const string DisclosureReport = """
        {
          "resourceType": "AuditEvent",
          "type": {
            "system": "http://dicom.nema.org/resources/ontology/DCM",
            "code": "110106",
            "display": "Export"
          },
          "subtype": [
            {
              "system": "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle",
              "code": "disclose",
              "display": "Disclose Record Lifecycle Event"
            }
          ],
          "action": "R",
          "recorded": "2026-11-25T02:10:00Z",
          "outcome": "0",
          "purposeOfEvent": [
            {
              "coding": [
                {
                  "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                  "code": "MLTRAINING"
                }
              ]
            }
          ],
          "agent": [
            {
              "type": {
                "coding": [
                  {
                    "system": "http://dicom.nema.org/resources/ontology/DCM",
                    "code": "110153",
                    "display": "Source Role ID"
                  }
                ]
              },
              "who": {
                "reference": "Device/pacs-1"
              },
              "requestor": true
            },
            {
              "type": {
                "coding": [
                  {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                    "code": "IRCP",
                    "display": "information recipient"
                  }
                ]
              },
              "who": {
                "reference": "Organization/acme-ai"
              },
              "requestor": false
            }
          ],
          "source": {
            "observer": {
              "reference": "Device/pacs-1"
            }
          },
          "entity": [
            {
              "what": {
                "identifier": {
                  "system": "urn:dicom:uid",
                  "value": "urn:oid:2.25.184127939512354983275493861234"
                }
              }
            },
            {
              "what": {
                "reference": "AuditEvent/e8eab1c8-5066-4ba9-a929-0cda00d964cb"
              }
            }
          ]
        }
        """;

    public const string DisclosureEventId = "04c5097e-6c5d-4b60-b545-21a219b1503c";

    /// <summary>The reported disclosure as stored (captured): the report with its id, the study entity resolved to its
    /// ImagingStudy reference, and the study's patient added as an entity.</summary>
    public static JsonObject DisclosureAuditEvent()
    {
        var stored = (JsonObject)JsonNode.Parse(DisclosureReport)!;
        stored.Insert(1, "id", DisclosureEventId);
        var entities = stored["entity"]!.AsArray();
        var study = entities[0]!["what"]!.AsObject();
        study.Insert(0, "reference", $"ImagingStudy/{StudyId}");
        entities.Add(new JsonObject
        {
            ["what"] = new JsonObject { ["reference"] = "Patient/p-1042" },
            ["type"] = new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/audit-entity-type", ["code"] = "1", ["display"] = "Person" },
            ["role"] = new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/object-role", ["code"] = "1", ["display"] = "Patient" },
        });
        return stored;
    }

    /// <summary>GET /fhir/AuditEvent?patient=Patient/p-1042&amp;subtype=disclose: the reported disclosure.</summary>
    public static JsonObject AuditEventSearchset() => new()
    {
        ["resourceType"] = "Bundle",
        ["id"] = "f0e8318f-3ba9-45ff-be75-755dd5f8b4fd",
        ["meta"] = new JsonObject { ["lastUpdated"] = "2026-11-25T01:56:11.0949683+00:00" },
        ["type"] = "searchset",
        ["total"] = 1,
        ["link"] = new JsonArray(new JsonObject
        {
            ["relation"] = "self",
            ["url"] = $"{BaseUrl}/AuditEvent?patient=Patient/p-1042&subtype=disclose&_count=20&_snapshot=4",
        }),
        ["entry"] = new JsonArray(new JsonObject
        {
            ["fullUrl"] = $"{BaseUrl}/AuditEvent/{DisclosureEventId}",
            ["resource"] = DisclosureAuditEvent(),
            ["search"] = new JsonObject { ["mode"] = "match" },
        }),
    };

    /// <summary>The OperationOutcome the error mapping writes for a status on a /fhir operation.</summary>
    public static JsonObject Outcome(string operationId, int status)
    {
        if (operationId.EndsWith(AuditEvent, StringComparison.Ordinal) && AuditEventOutcome(operationId, status) is { } audit)
        {
            return audit;
        }
        var type = operationId.Contains(SupportedResources.ImagingStudy, StringComparison.Ordinal) ? SupportedResources.ImagingStudy
            : operationId.EndsWith(AuditEvent, StringComparison.Ordinal) ? AuditEvent : SupportedResources.Consent;
        var (code, diagnostics, expression) = status switch
        {
            400 => ("invalid", operationId.StartsWith("update", StringComparison.Ordinal)
                ? "The id in the body (other-id) differs from the id in the URL (" + IdOf(type) + ")."
                : "_count must be an integer of at least 0.", (string?)null),
            404 => ("not-found", $"{type}/unknown-id is not known.", null),
            409 => ("conflict", $"A unique key of this {type} is held by another resource.", null),
            410 => ("deleted", $"{type}/{IdOf(type)} has been deleted.", null),
            412 => ("conflict", "The resource's current version does not match If-Match.", null),
            413 => ("too-costly", "The request body exceeds the limit of 10485760 bytes.", null),
            415 => ("not-supported", "Content-Type 'text/plain' is not supported; use application/fhir+json or application/fhir+xml.", null),
            422 => ("processing", type == SupportedResources.Consent
                ? "Value 'bogus' is not a correct code for valueset 'ConsentState'."
                : "Element '$this.status' with minimum cardinality 1 must be present.",
                type == SupportedResources.Consent ? "Consent.status" : "ImagingStudy.status"),
            _ => ("exception", "The request failed.", null),
        };
        return OutcomeOf(code, diagnostics, expression);
    }

    private const string AuditEvent = "AuditEvent";

    /// <summary>What the AuditEvent endpoints answer (captured): their own 400, 404, 405 and 422, or null for the
    /// statuses they share with every FHIR endpoint.</summary>
    private static JsonObject? AuditEventOutcome(string operationId, int status) => (operationId, status) switch
    {
        ("searchAuditEvent", 400) => OutcomeOf("invalid", "Invalid value 'x' for search parameter '_count': expected a non-negative integer."),
        ("vreadAuditEvent", 404) => OutcomeOf("not-found",
            "AuditEvent/e8eab1c8-5066-4ba9-a929-0cda00d964cb/_history/2 is not a version of this resource: AuditEvents have only version 1."),
        (_, 404) => OutcomeOf("not-found", "AuditEvent/unknown-id is not known."),
        (_, 405) => OutcomeOf("not-supported", $"AuditEvents are immutable: {operationId[..^AuditEvent.Length]} is not allowed. "
            + "Report a correction as a new AuditEvent."),
        ("createAuditEvent", 422) => OutcomeOf("processing",
            "A reported disclosure has type http://dicom.nema.org/resources/ontology/DCM#110106 (Export).", "AuditEvent.type"),
        _ => null,
    };

    /// <summary>An OperationOutcome with one error issue, as Outcomes.From writes it.</summary>
    public static JsonObject OutcomeOf(string code, string diagnostics, string? expression = null)
    {
        var issue = new JsonObject { ["severity"] = "error", ["code"] = code, ["diagnostics"] = diagnostics };
        if (expression is not null)
        {
            issue["expression"] = new JsonArray(expression);
        }
        return new JsonObject { ["resourceType"] = "OperationOutcome", ["issue"] = new JsonArray(issue) };
    }
}
