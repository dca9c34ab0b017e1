using System.Text.Json;
using System.Text.Json.Serialization;
using ConsentService.Application.Audit;

namespace ConsentService.Api.Endpoints;

/// <summary>Source-generated JSON for the audit API (verify, export's final cursor line, disclosures).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(AuditVerification))]
[JsonSerializable(typeof(AuditExportEnd))]
[JsonSerializable(typeof(DisclosureAccounting))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;

/// <summary>The last line of an NDJSON export: where the next export resumes, and how many events this one sent.</summary>
public sealed record AuditExportEnd(string Cursor, int Events);
