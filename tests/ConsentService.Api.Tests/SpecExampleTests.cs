using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace ConsentService.Api.Tests;

/// <summary>The official R4 examples (tests/.../SpecExamples, byte for byte from hl7.fhir.r4.examples 4.0.1)
/// round-trip through create and read without loss: everything but id and meta comes back as sent. Examples outside
/// this server's scope are listed in <see cref="Refused"/> with the rule that refuses them, and the test proves
/// they are refused with a 422 naming that element.</summary>
public sealed class SpecExampleTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    /// <summary>Examples a decision service must not accept as they stand, and the element that says why.</summary>
    private static readonly Dictionary<string, string> Refused = new()
    {
        // Its nested provisions carry no type: whether each is a permit or a deny would have to be guessed.
        ["consent-example-pkb.json"] = "Consent.provision.provision[0].type",
        // Its root provision says deny while its policyRule says OPTIN: the base answer cannot be determined.
        ["consent-example-notOrg.json"] = "Consent.provision.type",
    };

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "SpecExamples"), "*.json").Order())
        {
            data.Add(Path.GetFileName(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async System.Threading.Tasks.Task Example_round_trips_through_create_and_read(string file)
    {
        var original = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "SpecExamples", file));
        var type = JsonNode.Parse(original)!["resourceType"]!.GetValue<string>();
        using var http = factory.CreateClient();
        var created = await http.PostAsync($"/fhir/{type}", new StringContent(original, Encoding.UTF8, "application/fhir+json"));
        if (Refused.TryGetValue(file, out var element))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, created.StatusCode);
            Assert.Contains($"\"{element}\"", await created.Content.ReadAsStringAsync());
            return;
        }
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.ToString();
        var id = location.Split("/_history/")[0].Split('/').Last();

        var read = await http.GetStringAsync($"/fhir/{type}/{id}");
        Assert.Equal(Normalise(original), Normalise(read));
        var xml = await http.GetAsync($"/fhir/{type}/{id}?_format=xml");
        Assert.Equal(HttpStatusCode.OK, xml.StatusCode);
    }

    // Drops what the server owns (id, meta.versionId, meta.lastUpdated) and orders object members, so the comparison
    // is about content, not formatting.
    private static string Normalise(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node.Remove("id");
        if (node["meta"] is JsonObject meta)
        {
            meta.Remove("versionId");
            meta.Remove("lastUpdated");
            if (meta.Count == 0)
            {
                node.Remove("meta");
            }
        }
        return Sorted(node)!.ToJsonString();
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        null => null,
        _ => JsonNode.Parse(node.ToJsonString()),
    };
}
