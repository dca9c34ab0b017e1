using ConsentService.Application.Security;

namespace ConsentService.Application.Audit;

/// <summary>The caller of the request being handled (<see cref="RequestCaller"/>), supplied by the Api from the
/// validated token. The one way handlers learn who asks: for authorization, vendor binding and the audit's "who".</summary>
public interface IRequestCallerAccessor
{
    RequestCaller Caller { get; }
}

/// <summary>For hosts without HTTP requests (tools, unit tests): every caller is anonymous (and so may do nothing).</summary>
public sealed class AnonymousCallerAccessor : IRequestCallerAccessor
{
    public RequestCaller Caller => RequestCaller.Anonymous;
}
