using System.Text.Json;
using System.Xml;
using ConsentService.Application;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace ConsentService.Api.Fhir;

/// <summary>
/// The FHIR wire format through Firely's serializers. Incoming content is parsed strictly: a body that is not
/// JSON/XML at all is a 400; one that parses but breaks R4 structure (unknown elements, wrong types,
/// cardinality, an invalid code in a required binding) is a 422 whose issues name the element.
/// </summary>
public static class FhirSerialization
{
    /// <summary>The deepest nesting a request body may have (R4 resources need far less; deep bodies only cost stack).</summary>
    public const int MaxDepth = 64;

    private static readonly FhirJsonDeserializer StrictJson = FhirJsonDeserializer.STRICT;
    private static readonly FhirXmlDeserializer StrictXml = FhirXmlDeserializer.STRICT;
    // Stored content was validated when written; read it back leniently so that a future stricter parser
    // never makes stored history unreadable.

    public static Resource ParseRequestBody(string body, FhirFormat format)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            throw new BadRequestException("The request body is empty; a FHIR resource was expected.");
        }
        return format == FhirFormat.Json ? ParseJson(body) : ParseXml(body);
    }

    private static Resource ParseJson(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("resourceType", out var type) || type.ValueKind != JsonValueKind.String)
            {
                throw new BadRequestException("The body is not a FHIR resource: a JSON object with a resourceType is expected.");
            }
            if (ModelInfo.GetTypeForFhirType(type.GetString()!) is null)
            {
                throw new BadRequestException($"Unknown resourceType '{type.GetString()}'.");
            }
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"The body is not valid JSON: {e.Message}");
        }
        try
        {
            return StrictJson.DeserializeResource(body);
        }
        catch (DeserializationFailedException e)
        {
            throw new UnprocessableContentException(Issues(e));
        }
    }

    private static Resource ParseXml(string body)
    {
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersFromEntities = 0 };
            using var reader = XmlReader.Create(new StringReader(body), settings);
            while (reader.Read())
            {
                // Well-formedness and depth only (as MaxDepth for JSON): Firely reads the content below, recursively.
                if (reader.Depth > MaxDepth)
                {
                    throw new BadRequestException($"The body nests elements deeper than {MaxDepth} levels.");
                }
            }
        }
        catch (XmlException e)
        {
            throw new BadRequestException($"The body is not well-formed XML: {e.Message}");
        }
        try
        {
            return StrictXml.DeserializeResource(body);
        }
        catch (DeserializationFailedException e)
        {
            throw new UnprocessableContentException(Issues(e));
        }
        catch (FhirXmlException e)
        {
            throw new BadRequestException($"The body is not a FHIR XML resource: {e.Message}");
        }
    }

    private static List<ContentIssue> Issues(DeserializationFailedException e)
    {
        var root = e.PartialResult?.TypeName ?? "Resource";
        return e.Exceptions.Select(x => new ContentIssue(Location(x, root), StripLocation(x.Message))).ToList();
    }

    // Firely reports "... At Consent.provision.type, line 1, position 215." Take the FHIRPath part; its
    // root-level cardinality errors name the root "$this", which is the resource itself.
    private static string Location(CodedException exception, string root)
    {
        var message = exception.Message;
        var at = message.LastIndexOf(" At ", StringComparison.Ordinal);
        if (at < 0)
        {
            return root;
        }
        var location = message[(at + 4)..];
        var comma = location.IndexOf(", line", StringComparison.Ordinal);
        location = (comma >= 0 ? location[..comma] : location).TrimEnd('.');
        return location.StartsWith("$this", StringComparison.Ordinal) ? root + location["$this".Length..] : location;
    }

    private static string StripLocation(string message)
    {
        var at = message.LastIndexOf(" At ", StringComparison.Ordinal);
        return at < 0 ? message : message[..at];
    }

    public static Resource ParseStored(string json) => Application.Resources.StoredJson.Parse(json);

    public static string Serialize(Base resource, FhirFormat format) =>
        format == FhirFormat.Json
            ? FhirJsonSerializer.Default.SerializeToString(resource)
            : FhirXmlSerializer.Default.SerializeToString(resource);

    /// <summary>The wire form of a stored version: its stored JSON as is, or converted to XML.</summary>
    public static string FromStored(string json, FhirFormat format) =>
        format == FhirFormat.Json ? json : FhirXmlSerializer.Default.SerializeToString(ParseStored(json));
}
