using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ConsentService.LoadGen;

/// <summary>Reads the stage results bench/run.sh left in one folder and prints the one table of issue 8.</summary>
public static class Report
{
    private const string Missing = "n/a (endpoint missing)";
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private sealed record Row(string Measure, string Value, string Target, string Verdict);

    public static string Build(string dir)
    {
        var rows = new List<Row>();
        Engine(dir, rows);
        Http(dir, rows);
        Batch(dir, rows);
        Bulk(dir, rows);
        Cohort(dir, rows);
        Idle(dir, rows);
        Startup(dir, rows);

        var widths = new[]
        {
            Math.Max(7, rows.Max(r => r.Measure.Length)), Math.Max(5, rows.Max(r => r.Value.Length)),
            Math.Max(6, rows.Max(r => r.Target.Length)), Math.Max(6, rows.Max(r => r.Verdict.Length)),
        };
        var text = new StringBuilder();
        void Line(string a, string b, string c, string d) =>
            text.Append("| ").Append(a.PadRight(widths[0])).Append(" | ").Append(b.PadRight(widths[1])).Append(" | ")
                .Append(c.PadRight(widths[2])).Append(" | ").Append(d.PadRight(widths[3])).AppendLine(" |");
        Line("measure", "value", "target", "result");
        Line(new string('-', widths[0]), new string('-', widths[1]), new string('-', widths[2]), new string('-', widths[3]));
        foreach (var row in rows) Line(row.Measure, row.Value, row.Target, row.Verdict);
        return text.ToString();
    }

    private static void Engine(string dir, List<Row> rows)
    {
        var report = Directory.Exists(dir) ? Directory.GetFiles(dir, "*-report-brief.json").FirstOrDefault() : null;
        var benchmarks = report is null ? null : Load(report)?["Benchmarks"]?.AsArray();
        foreach (var (method, label) in new[] { ("Shallow", "shallow tree"), ("Deep5", "5-deep tree"), ("NoConsent", "no consent (policy)") })
        {
            var b = benchmarks?.FirstOrDefault(x => (string?)x?["Method"] == method);
            var median = (double?)b?["Statistics"]?["Median"];
            var bytes = (long?)b?["Memory"]?["BytesAllocatedPerOperation"];
            rows.Add(new Row($"engine: one decision, {label}",
                median is { } m ? $"{m.ToString("N0", Invariant)} ns/op, {bytes?.ToString(Invariant) ?? "?"} B/op" : "n/a (benchmark did not run)",
                "-", median is null ? "n/a" : "-"));
        }
    }

    private static void Http(string dir, List<Row> rows)
    {
        var service = WrkRounds(dir, "service");
        var floor = WrkRounds(dir, "floor");
        var sizes = Load(Path.Combine(dir, "sizes.json"));
        string Describe(List<JsonObject> rounds, string who)
        {
            if (rounds.Count == 0) return "n/a (wrk did not run)";
            var requests = rounds.Sum(r => (long?)r["requests"] ?? 0);
            var bad = rounds.Sum(r => ((long?)r["non2xx"] ?? 0) + ((long?)r["socket_errors"] ?? 0));
            var size = (long?)sizes?[who];
            var text = string.Create(Invariant,
                $"{Median(rounds, "rps"):N0} req/s, p50 {Median(rounds, "p50_ms"):0.00} ms, p99 {Median(rounds, "p99_ms"):0.00} ms ({rounds.Count} rounds");
            if (size is { } s) text += string.Create(Invariant, $", {s} B answer");
            if (bad > 0) text += string.Create(Invariant, $", {bad} of {requests} not 2xx or failed");
            return text + ")";
        }
        static bool Clean(List<JsonObject> rounds) => rounds.Count > 0
            && rounds.Sum(r => ((long?)r["non2xx"] ?? 0) + ((long?)r["socket_errors"] ?? 0)) * 100 < rounds.Sum(r => (long?)r["requests"] ?? 0);

        var serviceP99 = service.Count > 0 ? Median(service, "p99_ms") : double.NaN;
        var auth = (bool?)Load(Path.Combine(dir, "auth.json"))?["enforced"] == false ? "auth NOT enforced by this build" : "auth";
        rows.Add(new Row($"single decisions: service, 64 conn (audit, {auth})", Describe(service, "service"), "p99 < 10 ms",
            service.Count == 0 ? "n/a" : !Clean(service) ? "ERRORS" : Verdict(serviceP99 < 10)));
        rows.Add(new Row("single decisions: floor endpoint, 64 conn", Describe(floor, "floor"), "-", floor.Count == 0 ? "n/a" : Clean(floor) ? "-" : "ERRORS"));
        if (service.Count > 0 && floor.Count > 0)
        {
            var ratio = Median(service, "rps") / Median(floor, "rps");
            rows.Add(new Row("single decisions: service / floor", ratio.ToString("0.00", Invariant), ">= 0.40",
                Clean(service) && Clean(floor) ? Verdict(ratio >= 0.40) : "ERRORS"));
        }
        else
        {
            rows.Add(new Row("single decisions: service / floor", "n/a", ">= 0.40", "n/a"));
        }
    }

    private static void Batch(string dir, List<Row> rows)
    {
        var batch = Load(Path.Combine(dir, "batch.json"));
        var count = (long?)batch?["studies"] ?? 10_000;
        var measure = string.Create(Invariant, $"batch of {count:N0} studies, end to end");
        switch ((string?)batch?["status"])
        {
            case "ok":
                var ms = (double)batch!["medianMs"]!;
                var summary = batch["summary"];
                rows.Add(new Row(measure, string.Create(Invariant,
                    $"{ms:N0} ms (median of {batch["runsMs"]?.AsArray().Count}; {(long?)batch["responseBytes"] / 1024:N0} KiB answer; permit {summary?["permit"]}, deny {summary?["deny"]})"),
                    "< 250 ms", Verdict(ms < 250)));
                break;
            default:
                rows.Add(Unavailable(measure, batch, "< 250 ms"));
                break;
        }
    }

    private static void Bulk(string dir, List<Row> rows)
    {
        var bulk = Load(Path.Combine(dir, "bulk.json"));
        const string measure = "bulk load, transaction bundles (SQLite)";
        if ((string?)bulk?["status"] == "ok")
        {
            var perSecond = (double)bulk!["perSecond"]!;
            var stopped = (bool?)bulk["stoppedAtDeadline"] == true ? ", stopped at the deadline" : "";
            rows.Add(new Row(measure, string.Create(Invariant,
                $"{perSecond:N0} resources/s ({(long)bulk["resources"]!:N0} in {(double)bulk["seconds"]!:N1} s, {(int)bulk["bundles"]!} bundles{stopped})"),
                ">= 5,000/s", Verdict(perSecond >= 5000)));
        }
        else
        {
            rows.Add(Unavailable(measure, bulk, ">= 5,000/s"));
        }
    }

    private static void Cohort(string dir, List<Row> rows)
    {
        var cohort = Load(Path.Combine(dir, "cohort.json"));
        var registered = (long?)cohort?["studiesRegistered"];
        var measure = string.Create(Invariant, $"cohort over {registered?.ToString("N0", Invariant) ?? "the registered"} studies");
        if ((string?)cohort?["status"] == "ok")
        {
            var seconds = (double)cohort!["seconds"]!;
            var peak = (long?)cohort["peakRssBytes"];
            var summary = cohort["summary"];
            var peakText = peak is { } p ? string.Create(Invariant, $"peak {p / 1048576.0:N0} MiB") : "peak n/a";
            rows.Add(new Row(measure, string.Create(Invariant,
                $"{seconds:N1} s, {peakText} (matched {summary?["matched"]}, permitted {summary?["permitted"]}; first line {(double?)cohort["firstLineMs"]:N0} ms)"),
                "< 60 s, < 2 GiB", Verdict(seconds < 60 && (peak ?? 0) < 2L * 1024 * 1024 * 1024)));
        }
        else if ((string?)cohort?["status"] == "timeout")
        {
            var peak = (long?)cohort!["peakRssBytes"];
            rows.Add(new Row(measure, string.Create(Invariant,
                $"over {(double)cohort["seconds"]!:N0} s: stopped with {(long?)cohort["lines"]:N0} lines streamed{(peak is { } p ? $", peak {p / 1048576.0:N0} MiB" : "")}"),
                "< 60 s, < 2 GiB", "MISSED"));
        }
        else
        {
            rows.Add(Unavailable(measure, cohort, "< 60 s, < 2 GiB"));
        }
    }

    private static void Idle(string dir, List<Row> rows)
    {
        var idle = Load(Path.Combine(dir, "idle.json"));
        var rss = (long?)idle?["rssBytes"];
        rows.Add(new Row("idle RSS, empty store", rss is { } r ? string.Create(Invariant, $"{r / 1048576.0:N0} MiB") : "n/a",
            "< 150 MiB", rss is { } v ? Verdict(v < 150L * 1024 * 1024) : "n/a"));
    }

    private static void Startup(string dir, List<Row> rows)
    {
        var startup = Load(Path.Combine(dir, "startup.json"));
        var runs = startup?["seconds"]?.AsArray().Select(x => (double)x!).ToList() ?? [];
        if (runs.Count == 0)
        {
            rows.Add(new Row("start to first 200 on /healthz/ready", "n/a", "< 3 s", "n/a"));
            return;
        }
        var median = DecisionRuns.Median(runs);
        rows.Add(new Row("start to first 200 on /healthz/ready", string.Create(Invariant,
            $"{median:0.00} s (median of {runs.Count}: {string.Join(", ", runs.Select(r => r.ToString("0.00", Invariant)))})"),
            "< 3 s", Verdict(median < 3)));
    }

    private static Row Unavailable(string measure, JsonObject? result, string target) => (string?)result?["status"] switch
    {
        "missing" => new Row(measure, Missing, target, "n/a"),
        "error" => new Row(measure, "error: " + OneLine((string?)result!["message"] ?? "?"), target, "ERROR"),
        "skipped" => new Row(measure, "skipped: " + ((string?)result!["message"] ?? ""), target, "n/a"),
        _ => new Row(measure, "n/a (stage did not run)", target, "n/a"),
    };

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length > 90 ? line[..90] + "..." : line;
    }

    private static string Verdict(bool met) => met ? "ok" : "MISSED";

    private static List<JsonObject> WrkRounds(string dir, string target) =>
        Directory.Exists(dir)
            ? Directory.GetFiles(dir, $"wrk-{target}-*.json").Order().Select(Load).OfType<JsonObject>().ToList()
            : [];

    private static double Median(List<JsonObject> rounds, string field) =>
        DecisionRuns.Median(rounds.Select(r => (double?)r[field] ?? double.NaN).ToList());

    private static JsonObject? Load(string path)
    {
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject; }
        catch (System.Text.Json.JsonException) { return null; }
    }
}
