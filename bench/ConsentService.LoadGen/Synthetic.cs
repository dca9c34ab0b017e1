using System.Buffers;
using System.Text.Json;

namespace ConsentService.LoadGen;

/// <summary>
/// Deterministic synthetic patients, consents and studies. Per patient (by index): 70% an opt-in consent that
/// permits MLTRAINING for the bench vendor, 10% an opt-out consent, 20% none (the default policy answers).
/// Studies mix modalities (CT 60%, MR 25%, CR 15%), body sites (lung 50%, thorax 20%, head 15%, abdomen 15%)
/// and start dates over 2015-2025, so a cohort filter such as "CT or MR of the thorax" matches about 60%.
/// </summary>
public static class Synthetic
{
    public const string Vendor = "Organization/acme-ai";
    public const string UidRoot = "1.2.826.0.1.3680043.10.7777";
    private const string Dcm = "http://dicom.nema.org/resources/ontology/DCM";
    private const string Snomed = "http://snomed.info/sct";
    private const string ConsentIdentifierSystem = "urn:consent-service:bench:consent";
    private static readonly DateTimeOffset FirstStart = new(2015, 1, 1, 8, 0, 0, TimeSpan.Zero);

    public enum ConsentKind { OptIn, OptOut, None }

    public static ConsentKind ConsentOf(long patient) => (Mix(patient, 1) % 10) switch
    {
        < 7 => ConsentKind.OptIn,
        7 => ConsentKind.OptOut,
        _ => ConsentKind.None,
    };

    public static string StudyUid(int branch, long patient, int study) => $"{UidRoot}.{branch}.{patient + 1}.{study + 1}";

    public static void WriteConsent(Utf8JsonWriter w, string patientReference, string identifierValue, ConsentKind kind)
    {
        w.WriteStartObject();
        w.WriteString("resourceType", "Consent");
        w.WriteStartArray("identifier");
        w.WriteStartObject(); w.WriteString("system", ConsentIdentifierSystem); w.WriteString("value", identifierValue); w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("status", "active");
        w.WriteStartObject("scope");
        Codings(w, "http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy");
        w.WriteEndObject();
        w.WriteStartArray("category");
        w.WriteStartObject(); Codings(w, "http://loinc.org", "59284-0"); w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("patient"); w.WriteString("reference", patientReference); w.WriteEndObject();
        w.WriteString("dateTime", "2014-06-01T09:00:00Z");
        w.WriteStartObject("policyRule");
        Codings(w, "http://terminology.hl7.org/CodeSystem/v3-ActCode", kind == ConsentKind.OptIn ? "OPTIN" : "OPTOUT");
        w.WriteEndObject();
        w.WriteStartObject("provision");
        if (kind == ConsentKind.OptIn)
        {
            w.WriteStartArray("actor");
            w.WriteStartObject();
            w.WriteStartObject("role"); Codings(w, "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"); w.WriteEndObject();
            w.WriteStartObject("reference"); w.WriteString("reference", Vendor); w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        }
        w.WriteStartArray("purpose");
        w.WriteStartObject(); w.WriteString("system", "http://terminology.hl7.org/CodeSystem/v3-ActReason"); w.WriteString("code", "MLTRAINING"); w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteStudy(Utf8JsonWriter w, string patientReference, string uid, long mix)
    {
        var modality = (Mix(mix, 2) % 100) switch { < 60 => "CT", < 85 => "MR", _ => "CR" };
        var bodySite = (Mix(mix, 3) % 100) switch { < 50 => "39607008", < 70 => "51185008", < 85 => "69536005", _ => "818983003" };
        var started = FirstStart.AddHours(Mix(mix, 4) % (11 * 365 * 24));
        w.WriteStartObject();
        w.WriteString("resourceType", "ImagingStudy");
        w.WriteStartArray("identifier");
        w.WriteStartObject(); w.WriteString("system", "urn:dicom:uid"); w.WriteString("value", "urn:oid:" + uid); w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("status", "available");
        w.WriteStartObject("subject"); w.WriteString("reference", patientReference); w.WriteEndObject();
        w.WriteString("started", started.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
        w.WriteStartArray("modality");
        w.WriteStartObject(); w.WriteString("system", Dcm); w.WriteString("code", modality); w.WriteEndObject();
        w.WriteEndArray();
        w.WriteNumber("numberOfSeries", 1);
        w.WriteStartArray("series");
        w.WriteStartObject();
        w.WriteString("uid", uid + ".1");
        w.WriteStartObject("modality"); w.WriteString("system", Dcm); w.WriteString("code", modality); w.WriteEndObject();
        w.WriteStartObject("bodySite"); w.WriteString("system", Snomed); w.WriteString("code", bodySite); w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        return buffer.WrittenSpan.ToArray();
    }

    public static string ConsentIdentifierQuery(string value) => $"identifier={ConsentIdentifierSystem}|{value}";

    private static void Codings(Utf8JsonWriter w, string system, string code)
    {
        w.WriteStartArray("coding");
        w.WriteStartObject(); w.WriteString("system", system); w.WriteString("code", code); w.WriteEndObject();
        w.WriteEndArray();
    }

    /// <summary>A cheap stable hash (splitmix64), so the same index always gets the same facts.</summary>
    private static long Mix(long value, int salt)
    {
        var z = (ulong)value * 0x9E3779B97F4A7C15UL + (ulong)salt * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)((z ^ (z >> 31)) & 0x7FFFFFFFFFFFFFFFUL);
    }
}
