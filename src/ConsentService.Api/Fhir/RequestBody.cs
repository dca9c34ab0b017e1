using System.Text;
using ConsentService.Api.Errors;

namespace ConsentService.Api.Fhir;

/// <summary>Reads a request body as text within a byte limit (413 beyond it), whatever the server in front
/// enforces, so the limit holds in every host.</summary>
public static class RequestBody
{
    public const long DefaultLimitBytes = 10 * 1024 * 1024;

    public static async Task<string> ReadAsync(HttpRequest request, long limitBytes, CancellationToken ct)
    {
        if (request.ContentLength > limitBytes)
        {
            throw new PayloadTooLargeException($"The request body exceeds the limit of {limitBytes} bytes.");
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limitBytes)
            {
                throw new PayloadTooLargeException($"The request body exceeds the limit of {limitBytes} bytes.");
            }
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
