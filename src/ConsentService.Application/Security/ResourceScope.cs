using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace ConsentService.Application.Security;

/// <summary>The SMART v2 interactions: create, read, update, delete, search.</summary>
[Flags]
public enum ScopeInteractions
{
    None = 0,
    Create = 1,
    Read = 2,
    Update = 4,
    Delete = 8,
    Search = 16,
    All = Create | Read | Update | Delete | Search,
}

/// <summary>What an endpoint needs; endpoints carry one as metadata and one authorization policy checks it.</summary>
public abstract record ScopeRequirement;

/// <summary>A FHIR resource scope an endpoint needs, e.g. <c>Consent</c> with <c>r</c>; written as its system form
/// ("system/Consent.r"). Granted by a system, user or (for read and search) patient scope that covers it.</summary>
public sealed record ResourceScope(string ResourceType, ScopeInteractions Interactions) : ScopeRequirement
{
    public static ResourceScope Create(string type) => new(type, ScopeInteractions.Create);

    public static ResourceScope Read(string type) => new(type, ScopeInteractions.Read);

    public static ResourceScope Update(string type) => new(type, ScopeInteractions.Update);

    public static ResourceScope Delete(string type) => new(type, ScopeInteractions.Delete);

    public static ResourceScope Search(string type) => new(type, ScopeInteractions.Search);

    /// <summary>Listing versions across all resources of a type (type-level history): read and search.</summary>
    public static ResourceScope ReadAndSearch(string type) => new(type, ScopeInteractions.Read | ScopeInteractions.Search);

    public override string ToString() => $"system/{ResourceType}.{GrantedScope.Letters(Interactions)}";
}

/// <summary>A named scope an endpoint needs, such as <see cref="ScopeNames.Decide"/>.</summary>
public sealed record OperationScope(string Scope) : ScopeRequirement
{
    public static OperationScope Decide { get; } = new(ScopeNames.Decide);

    public override string ToString() => Scope;
}

/// <summary>A bundle: each entry needs the scope of its own interaction (system/&lt;Type&gt;.c, .u or .d), checked per
/// entry when the bundle is read; the endpoint itself admits any authenticated caller not bound to a recipient.</summary>
public sealed record EntryScopes : ScopeRequirement
{
    public static EntryScopes Bundle { get; } = new();

    public override string ToString() => "the scope of each entry's interaction (system/<Type>.c, .u or .d)";
}

public enum ScopeContext { System, User, Patient }

/// <summary>
/// One granted SMART resource scope. v2: <c>system/Consent.cruds</c> (letters in this order, any subset), v1:
/// <c>.read</c> (= rs), <c>.write</c> (= cud), <c>.*</c> (= cruds); <c>*</c> as the resource type means every type.
/// Scopes with v2 search restrictions (<c>?category=...</c>) are not honoured: this service does not implement
/// them, so granting more than they say would be wrong and they grant nothing. Patient scopes grant read and
/// search only (a patient-facing app never writes here), within the token's patient's compartment.
/// </summary>
public sealed record GrantedScope(ScopeContext Context, string ResourceType, ScopeInteractions Interactions)
{
    private const string Order = "cruds";

    public bool Covers(ResourceScope required) =>
        (ResourceType == "*" || ResourceType == required.ResourceType)
        && (Effective & required.Interactions) == required.Interactions;

    private ScopeInteractions Effective => Context == ScopeContext.Patient
        ? Interactions & (ScopeInteractions.Read | ScopeInteractions.Search)
        : Interactions;

    public static bool TryParse(string text, [NotNullWhen(true)] out GrantedScope? scope)
    {
        scope = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var dot = text.LastIndexOf('.');
        if (slash <= 0 || dot <= slash + 1 || dot == text.Length - 1 || text.Contains('?', StringComparison.Ordinal))
        {
            return false;
        }
        ScopeContext? context = text[..slash] switch
        {
            "system" => ScopeContext.System,
            "user" => ScopeContext.User,
            "patient" => ScopeContext.Patient,
            _ => null,
        };
        var type = text[(slash + 1)..dot];
        if (context is null || (type != "*" && !IsResourceTypeName(type)))
        {
            return false;
        }
        var interactions = ParseInteractions(text[(dot + 1)..]);
        if (interactions == ScopeInteractions.None)
        {
            return false;
        }
        scope = new GrantedScope(context.Value, type, interactions);
        return true;
    }

    private static ScopeInteractions ParseInteractions(string permissions)
    {
        switch (permissions)
        {
            case "read":
                return ScopeInteractions.Read | ScopeInteractions.Search;
            case "write":
                return ScopeInteractions.Create | ScopeInteractions.Update | ScopeInteractions.Delete;
            case "*":
                return ScopeInteractions.All;
        }
        var result = ScopeInteractions.None;
        var position = 0;
        foreach (var letter in permissions)
        {
            var index = Order.IndexOf(letter, position);
            if (index < 0)
            {
                return ScopeInteractions.None; // unknown letter, repeated or out of order: not a v2 scope
            }
            result |= (ScopeInteractions)(1 << index);
            position = index + 1;
        }
        return result;
    }

    private static bool IsResourceTypeName(string type) =>
        type.Length > 0 && char.IsAsciiLetterUpper(type[0]) && type.All(char.IsAsciiLetter);

    /// <summary>The v2 letters of <paramref name="interactions"/> in canonical order ("rs").</summary>
    public static string Letters(ScopeInteractions interactions)
    {
        var builder = new StringBuilder(Order.Length);
        for (var i = 0; i < Order.Length; i++)
        {
            if (((int)interactions & (1 << i)) != 0)
            {
                builder.Append(Order[i]);
            }
        }
        return builder.ToString();
    }
}
