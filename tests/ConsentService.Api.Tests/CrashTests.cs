using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Task = System.Threading.Tasks.Task;

namespace ConsentService.Api.Tests;

/// <summary>
/// The service as a real process, killed with SIGKILL under load: after a restart on the same file, every decision
/// and write whose response was received is there and the chain verifies. (A killed process keeps the OS page cache,
/// so this proves commit-before-answer and recovery, not fsync; the synchronous=FULL and writer-ordering tests
/// cover that.)
/// </summary>
public sealed class CrashTests : IDisposable
{
    private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "consentservice-crash", Guid.NewGuid().ToString("N"))).FullName;
    private Process? _process;

    public void Dispose()
    {
        Kill();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // the OS temp folder is cleaned eventually
        }
    }

    private static string ServiceDll()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ConsentService.sln")))
        {
            directory = directory.Parent;
        }
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(directory!.FullName, "src", "ConsentService.Api", "bin", configuration, "net10.0", "ConsentService.Api.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first.");
        return dll;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private async Task<HttpClient> StartAsync(int port)
    {
        var start = new ProcessStartInfo("dotnet", [ServiceDll()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Storage__Sqlite__Path"] = Path.Combine(_folder, "consents.db");
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                if ((await http.GetAsync("/healthz/ready")).IsSuccessStatusCode)
                {
                    return http;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The service did not become ready.");
    }

    private void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true); // SIGKILL: no shutdown, no flush
            _process.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static StringContent Fhir(Hl7.Fhir.Model.Resource resource) => new(TestData.Json(resource), Encoding.UTF8, "application/fhir+json");

    [Fact]
    public async Task Every_acknowledged_decision_and_write_survives_a_sigkill_and_the_chain_verifies()
    {
        var port = FreePort();
        var http = await StartAsync(port);
        var patient = TestData.NewId();
        var uid = TestData.NewUid();
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/fhir/ImagingStudy", Fhir(TestData.Study(patient, uid)))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/fhir/Consent", Fhir(TestData.Consent(patient)))).StatusCode);

        var decisions = new ConcurrentBag<string>();
        var writes = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 16).Select(worker => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (worker % 4 == 0)
                    {
                        var response = await http.PostAsync("/fhir/Consent", Fhir(TestData.Consent(TestData.NewId())));
                        if (response.StatusCode == HttpStatusCode.Created)
                        {
                            writes.Add(response.Headers.Location!.AbsolutePath);
                        }
                    }
                    else
                    {
                        var response = await http.PostAsync("/api/v1/decisions", Json(new { study = uid, actor = "Organization/acme-ai" }));
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            decisions.Add((string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["decisionId"]!);
                        }
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    return; // the process is gone
                }
            }
        })).ToArray();
        while (decisions.Count < 200 || writes.Count < 40)
        {
            await Task.Delay(20);
        }
        Kill(); // mid-load
        await stop.CancelAsync();
        await Task.WhenAll(load);
        http.Dispose();

        using var restarted = await StartAsync(port);
        var paths = decisions.Select(id => $"/fhir/AuditEvent/{id}").Concat(writes).ToArray();
        var statuses = await Task.WhenAll(paths.Select(async path => (path, (await restarted.GetAsync(path)).StatusCode)));
        Assert.Empty(statuses.Where(s => s.StatusCode != HttpStatusCode.OK).Select(s => s.path));
        var verify = JsonNode.Parse(await restarted.GetStringAsync("/api/v1/audit/verify"))!;
        Assert.True((bool)verify["valid"]!, (string?)verify["reason"]);
        Assert.True((long)verify["events"]! >= decisions.Count + writes.Count + 2);
    }
}
