using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConsentService.LoadGen;

/// <summary>End-to-end timings of the batch and cohort decision endpoints, as a client sees them.</summary>
public static class DecisionRuns
{
    private const string Json = "application/json";

    /// <summary>One warm-up batch, then <paramref name="rounds"/> timed ones: request sent to last byte read.</summary>
    public static async Task<JsonObject> BatchAsync(ServiceClient client, IReadOnlyList<string> studies, string actor, int rounds, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["studies"] = new JsonArray(studies.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
            ["actor"] = actor,
        });
        var times = new List<double>();
        JsonNode? summary = null;
        long bytes = 0;
        for (var round = 0; round <= rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.PostAsync("api/v1/decisions/batch", body, Json, ct);
            var content = await response.Content.ReadAsByteArrayAsync(ct);
            clock.Stop();
            if (ServiceClient.IsMissing(response.StatusCode)) return Status("missing", $"POST /api/v1/decisions/batch answered {(int)response.StatusCode}");
            if (!response.IsSuccessStatusCode)
                return Status("error", $"POST /api/v1/decisions/batch answered {(int)response.StatusCode}: {Truncate(Encoding.UTF8.GetString(content))}");
            if (round == 0) continue;
            times.Add(clock.Elapsed.TotalMilliseconds);
            bytes = content.Length;
            summary ??= JsonNode.Parse(content)?["summary"]?.DeepClone();
        }
        return new JsonObject
        {
            ["status"] = "ok",
            ["studies"] = studies.Count,
            ["runsMs"] = new JsonArray(times.Select(t => (JsonNode)JsonValue.Create(Math.Round(t, 1))!).ToArray()),
            ["medianMs"] = Math.Round(Median(times), 1),
            ["responseBytes"] = bytes,
            ["summary"] = summary,
        };
    }

    /// <summary>Streams the cohort's NDJSON to the end, counting lines; samples the service's resident memory
    /// meanwhile and reads its high-water mark (reset first through /proc/PID/clear_refs where allowed).</summary>
    public static async Task<JsonObject> CohortAsync(ServiceClient client, JsonObject request, int? pid, TimeSpan deadline, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(deadline);
        var hwmReset = pid is { } p && TryResetHighWaterMark(p);
        using var sampling = new CancellationTokenSource();
        long sampledPeak = 0;
        var sampler = pid is { } id ? Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                sampledPeak = Math.Max(sampledPeak, ProcStatus(id, "VmRSS") ?? 0);
                try { await Task.Delay(100, sampling.Token); } catch (OperationCanceledException) { }
            }
        }) : Task.CompletedTask;

        var clock = Stopwatch.StartNew();
        double? firstLineMs = null;
        long lines = 0;
        string? last = null;
        JsonObject result;
        try
        {
            using (var response = await client.PostAsync("api/v1/decisions/cohort", JsonSerializer.SerializeToUtf8Bytes(request), Json, timeout.Token,
                HttpCompletionOption.ResponseHeadersRead))
            {
                if (ServiceClient.IsMissing(response.StatusCode))
                {
                    await sampling.CancelAsync();
                    return Status("missing", $"POST /api/v1/decisions/cohort answered {(int)response.StatusCode}");
                }
                if (!response.IsSuccessStatusCode)
                {
                    await sampling.CancelAsync();
                    return Status("error", $"POST /api/v1/decisions/cohort answered {(int)response.StatusCode}: {await ServiceClient.Snippet(response)}");
                }
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token), Encoding.UTF8, false, 1 << 16);
                while (await reader.ReadLineAsync(timeout.Token) is { } line)
                {
                    if (line.Length == 0) continue;
                    firstLineMs ??= clock.Elapsed.TotalMilliseconds;
                    lines++;
                    last = line;
                }
                clock.Stop();
                JsonNode? summary = null;
                try { summary = last is null ? null : JsonNode.Parse(last)?["summary"]?.DeepClone(); } catch (JsonException) { }
                result = new JsonObject
                {
                    ["status"] = summary is null ? "error" : "ok",
                    ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 2),
                    ["firstLineMs"] = firstLineMs is { } f ? Math.Round(f, 1) : null,
                    ["lines"] = lines,
                    ["summary"] = summary,
                };
                if (summary is null) result["message"] = "the stream did not end with a {\"summary\":...} line";
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            result = new JsonObject
            {
                ["status"] = "timeout",
                ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 2),
                ["firstLineMs"] = firstLineMs is { } f ? Math.Round(f, 1) : null,
                ["lines"] = lines,
                ["message"] = $"stopped after {deadline.TotalSeconds:0} s with {lines:N0} lines streamed",
            };
        }
        await sampling.CancelAsync();
        await sampler;
        if (pid is { } service)
        {
            var hwm = ProcStatus(service, "VmHWM");
            result["peakRssBytes"] = Math.Max(sampledPeak, hwmReset ? hwm ?? 0 : 0);
            result["peakFrom"] = hwmReset ? "VmHWM after clear_refs, and VmRSS sampled every 100 ms" : "VmRSS sampled every 100 ms";
        }
        return result;
    }

    /// <summary>A field of /proc/PID/status in bytes (the file gives kB).</summary>
    public static long? ProcStatus(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
                var parts = line[(field.Length + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0]) * 1024;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+), so the peak is the cohort's own.</summary>
    private static bool TryResetHighWaterMark(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static JsonObject Status(string status, string message) => new() { ["status"] = status, ["message"] = message };

    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Truncate(string text) => text.Length > 400 ? text[..400] + "..." : text;
}
