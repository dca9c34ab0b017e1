using ConsentService.Domain.Fhir;

namespace ConsentService.Domain.Decisions;

/// <summary>The obligations attached to permits; shared instances, so a permit allocates nothing for them.</summary>
public static class Obligations
{
    /// <summary>De-identify per the DICOM Basic Application Level Confidentiality Profile (DCM 113100).</summary>
    public static Obligation Deidentify { get; } = new(CodeSystems.ActCode, "DEID", "de-identification");

    /// <summary>Deface: DICOM PS3.15 Clean Recognizable Visual Features Option.</summary>
    public static Obligation Deface { get; } = new(CodeSystems.Dicom, "113102", "Clean Recognizable Visual Features Option");

    internal static IReadOnlyList<Obligation> None { get; } = [];
    internal static IReadOnlyList<Obligation> ForPermit { get; } = [Deidentify];
    internal static IReadOnlyList<Obligation> ForFaceBearingPermit { get; } = [Deidentify, Deface];
}
