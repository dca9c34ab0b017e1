using ConsentService.Application.Security;

namespace ConsentService.Application.Audit;

/// <summary>Verify and export cover every patient's records: they need system/AuditEvent.rs (or user/); a patient
/// scope is not enough.</summary>
internal static class TrailAccess
{
    public static void RequireWholeTrail(RequestCaller caller)
    {
        if (caller.Require(ResourceScope.ReadAndSearch("AuditEvent")).IsPatientCompartment)
        {
            throw new AccessDeniedException("The whole audit trail needs system/AuditEvent.rs; a patient scope covers only that patient's records.");
        }
    }
}
