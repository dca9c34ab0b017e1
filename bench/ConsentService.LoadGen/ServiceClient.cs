using System.Net;
using System.Net.Http.Headers;

namespace ConsentService.LoadGen;

/// <summary>HttpClient for the service under test: base address, bearer token, no timeout of its own (the bulk
/// and cohort stages are bounded by bench/run.sh instead).</summary>
public sealed class ServiceClient : IDisposable
{
    private readonly HttpClient http;

    public ServiceClient(string baseUrl, string? token, int connections = 16)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(30),
            AutomaticDecompression = DecompressionMethods.None,
        };
        http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(token)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public Task<HttpResponseMessage> PostAsync(string path, byte[] body, string contentType, CancellationToken ct,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return http.SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = content }, completion, ct);
    }

    public Task<HttpResponseMessage> GetAsync(string path, CancellationToken ct) => http.GetAsync(path, ct);

    /// <summary>404 or 405: the route is not there (yet); the stage reports "n/a (endpoint missing)".</summary>
    public static bool IsMissing(HttpStatusCode status) => status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed;

    public static async Task<string> Snippet(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length > 400 ? text[..400] + "..." : text;
    }

    public void Dispose() => http.Dispose();
}
