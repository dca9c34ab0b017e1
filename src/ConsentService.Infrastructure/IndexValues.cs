namespace ConsentService.Infrastructure;

/// <summary>How the stores read index values written by the Application.</summary>
internal static class IndexValues
{
    /// <summary>"Type/id" -> (Type, id), split at the last '/'; a value without '/' has type "".</summary>
    public static (string Type, string Id) SplitReference(string reference)
    {
        var slash = reference.LastIndexOf('/');
        return slash < 0 ? ("", reference) : (reference[..slash], reference[(slash + 1)..]);
    }
}
