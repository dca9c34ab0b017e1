using ConsentService.Application.Ports;
using ConsentService.Application.Resources;
using ConsentService.Application.Search;
using Hl7.Fhir.Model;

namespace ConsentService.Api.Fhir;

/// <summary>The server's CapabilityStatement, built from what is actually wired: the writable types with
/// their interactions and the search parameters the registry indexes.</summary>
public static class CapabilityStatementBuilder
{
    public static CapabilityStatement Build(string baseUrl, string softwareVersion)
    {
        var rest = new CapabilityStatement.RestComponent
        {
            Mode = CapabilityStatement.RestfulCapabilityMode.Server,
            Interaction =
            [
                new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Transaction },
                new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Batch },
            ],
        };
        foreach (var type in SupportedResources.Writable)
        {
            rest.Resource.Add(WritableResource(type));
        }
        rest.Resource.Add(AuditEventResource());
        return new CapabilityStatement
        {
            Status = PublicationStatus.Active,
            Date = "2026-11-25",
            Kind = CapabilityStatementKind.Instance,
            Name = "ConsentService",
            Title = "ConsentService: patients' consent to AI training on imaging studies",
            Publisher = "ConsentService",
            Software = new CapabilityStatement.SoftwareComponent { Name = "ConsentService", Version = softwareVersion },
            Implementation = new CapabilityStatement.ImplementationComponent { Description = "ConsentService FHIR R4 endpoint", Url = baseUrl },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["application/fhir+json", "application/fhir+xml", "json", "xml"],
            Rest = [rest],
        };
    }

    private static CapabilityStatement.ResourceComponent WritableResource(string type)
    {
        var resource = new CapabilityStatement.ResourceComponent
        {
            Type = type,
            Versioning = CapabilityStatement.ResourceVersionPolicy.Versioned,
            ReadHistory = true,
            UpdateCreate = true,
            ConditionalCreate = true,
            ConditionalUpdate = false,
            ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.NotSupported,
            ConditionalRead = CapabilityStatement.ConditionalReadStatus.NotSupported,
        };
        foreach (var code in new[]
        {
            CapabilityStatement.TypeRestfulInteraction.Read, CapabilityStatement.TypeRestfulInteraction.Vread,
            CapabilityStatement.TypeRestfulInteraction.Update, CapabilityStatement.TypeRestfulInteraction.Delete,
            CapabilityStatement.TypeRestfulInteraction.HistoryInstance, CapabilityStatement.TypeRestfulInteraction.HistoryType,
            CapabilityStatement.TypeRestfulInteraction.Create, CapabilityStatement.TypeRestfulInteraction.SearchType,
        })
        {
            resource.Interaction.Add(new CapabilityStatement.ResourceInteractionComponent { Code = code });
        }
        AddSearchParameters(resource, type);
        return resource;
    }

    /// <summary>The audit trail: immutable (no update, delete or history), created only for reported disclosures.</summary>
    private static CapabilityStatement.ResourceComponent AuditEventResource()
    {
        var resource = new CapabilityStatement.ResourceComponent
        {
            Type = "AuditEvent",
            Documentation = "The hash-chained audit trail (IHE BALP): decisions, resource writes, Consent reads, refused accesses, "
                + "and disclosures reported by create. Immutable: update and delete answer 405.",
            Versioning = CapabilityStatement.ResourceVersionPolicy.NoVersion,
            ReadHistory = false,
            UpdateCreate = false,
        };
        foreach (var code in new[]
        {
            CapabilityStatement.TypeRestfulInteraction.Read, CapabilityStatement.TypeRestfulInteraction.SearchType,
            CapabilityStatement.TypeRestfulInteraction.Create,
        })
        {
            resource.Interaction.Add(new CapabilityStatement.ResourceInteractionComponent { Code = code });
        }
        AddSearchParameters(resource, "AuditEvent");
        return resource;
    }

    private static void AddSearchParameters(CapabilityStatement.ResourceComponent resource, string type)
    {
        foreach (var parameter in SearchParameterRegistry.For(type).Concat(SearchParameterRegistry.Common))
        {
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent
            {
                Name = parameter.Name,
                Type = parameter.Type switch
                {
                    Application.Ports.SearchParamType.Token => Hl7.Fhir.Model.SearchParamType.Token,
                    Application.Ports.SearchParamType.Reference => Hl7.Fhir.Model.SearchParamType.Reference,
                    Application.Ports.SearchParamType.Date => Hl7.Fhir.Model.SearchParamType.Date,
                    _ => Hl7.Fhir.Model.SearchParamType.String,
                },
                Documentation = parameter.Description,
                Definition = SearchParameterRegistry.CustomDefinition(parameter),
            });
        }
    }
}
