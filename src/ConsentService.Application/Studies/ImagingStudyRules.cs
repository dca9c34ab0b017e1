using ConsentService.Domain.Fhir;
using FluentValidation;
using Hl7.Fhir.Model;

namespace ConsentService.Application.Studies;

/// <summary>Business rules for a registered ImagingStudy: it must name its patient and carry exactly one
/// DICOM Study Instance UID (identifier system urn:dicom:uid, value urn:oid:&lt;uid&gt;), the key studies are
/// decided by.</summary>
public sealed class ImagingStudyRules : AbstractValidator<ImagingStudy>
{
    public ImagingStudyRules()
    {
        RuleFor(s => s.Subject)
            .Must(s => s is not null && (!string.IsNullOrEmpty(s.Reference) || s.Identifier?.Value is { Length: > 0 }))
            .WithMessage("An ImagingStudy needs a subject (the patient).")
            .OverridePropertyName("ImagingStudy.subject");
        RuleFor(s => s).Custom((study, context) =>
        {
            var uids = StudyUidKey.For(study);
            if (uids.Count == 0)
            {
                context.AddFailure("ImagingStudy.identifier",
                    "An ImagingStudy needs its DICOM Study Instance UID as an identifier (system urn:dicom:uid, value urn:oid:<uid>).");
            }
            else if (uids.Count > 1)
            {
                context.AddFailure("ImagingStudy.identifier", "An ImagingStudy has exactly one DICOM Study Instance UID; several were given.");
            }
        });
    }
}
