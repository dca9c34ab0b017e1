namespace ConsentService.Domain.Consents;

/// <summary>A reason to refuse a Consent at write time (the API answers 422), located by a FHIRPath expression.</summary>
public sealed record ConsentProblem(string Location, string Message);
