using System.Net.Http.Headers;
using System.Text;
using ConsentService.Api.Tests;
using ConsentService.Client;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace ConsentService.Client.Tests;

/// <summary>The real service in-process, called through the NSwag-generated client; data is seeded through the
/// FHIR endpoints with a plain HttpClient, as an EHR and a PACS would write it.</summary>
public sealed class GeneratedClientFixture : ConsentServiceFactory
{
    public const string Vendor = "Organization/acme-ai";
    public const string ActReason = TestData.ActReason;

    /// <summary>The generated client, on the service's HttpClient and base address.</summary>
    public IConsentServiceClient Client() => new ConsentServiceClient(Server.BaseAddress.ToString(), CreateClient());

    /// <summary>Registers a study of a new patient, and (unless <paramref name="optIn"/> is null) the patient's Consent
    /// opting in to or out of AI training by <see cref="Vendor"/>. Returns the study's UID, its id and the Consent id.</summary>
    public async Task<(string Uid, string StudyId, string? ConsentId)> SeedAsync(bool? optIn, string modality = "CT",
        string bodySite = "69536005", string started = "2024-06-01T08:30:00Z")
    {
        var patient = TestData.NewId();
        var uid = TestData.NewUid();
        var studyId = await CreateAsync("ImagingStudy", TestData.Study(patient, uid, modality, bodySite, started));
        string? consentId = null;
        if (optIn is { } permit)
        {
            consentId = await CreateAsync("Consent", TestData.Consent(patient, permit ? "OPTIN" : "OPTOUT"));
        }
        return (uid, studyId, consentId);
    }

    private async Task<string> CreateAsync(string type, Resource resource)
    {
        using var http = CreateClient();
        using var content = new StringContent(TestData.Json(resource), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        using var response = await http.PostAsync($"/fhir/{type}", content);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var created = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (string)created["id"]!;
    }

    public static PurposeCoding MlTraining => new() { System = ActReason, Code = "MLTRAINING" };
}
