namespace ConsentService.Api.Security;

/// <summary>
/// Framework log categories that write request URLs (which may carry patient ids or DICOM UIDs in the query, or a
/// client-chosen resource id in the path) are held at Warning whatever the configured level. The service's own
/// logs name endpoints by route pattern and never log values.
/// </summary>
public static class PhiSafeLogging
{
    public static readonly IReadOnlyList<string> UrlLoggingCategories =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.HttpLogging",
        "Microsoft.AspNetCore.Server.Kestrel",
    ];

    public static void Apply(ILoggingBuilder logging)
    {
        foreach (var category in UrlLoggingCategories)
        {
            logging.AddFilter(category, LogLevel.Warning);
        }
    }
}
