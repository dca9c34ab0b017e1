using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConsentService.LoadGen;

// The `make bench` driver (bench/run.sh calls it; see docs/performance.md). One command per stage; each writes
// a small JSON result that `report` turns into the table.
//   token  --key K [--key-encoding utf8|base64] --issuer I --audience A --scope "s1 s2" [--sub bench] [--actor Organization/x]
//   seed   --url U --token T --patients 1000 --per-patient 10 --out DIR
//   bulk   --url U --token T --studies 1000000 [--bundle-entries 10000] [--concurrency 2] [--deadline-seconds 900] --out FILE
//   batch  --url U --token T --studies-file F [--count 10000] [--rounds 3] --out FILE
//   cohort --url U --token T [--pid P] [--filter JSON] [--studies-registered N] [--deadline-seconds 240] --out FILE
//   report --dir DIR
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: ConsentService.LoadGen token|seed|bulk|batch|cohort|report [--option value]...");
    return 2;
}
var options = Options.Parse(args.Skip(1));
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
var ct = stop.Token;

switch (args[0])
{
    case "token":
    {
        var key = Jwt.KeyBytes(options.Required("key"), options.Get("key-encoding", "utf8"));
        var extra = options.Has("actor") ? new Dictionary<string, string> { ["actor"] = options.Required("actor") } : null;
        Console.WriteLine(Jwt.Mint(key, options.Required("issuer"), options.Required("audience"), options.Get("sub", "bench-loadgen"),
            options.Required("scope"), TimeSpan.FromHours(options.Int("hours", 4)), extra));
        return 0;
    }
    case "seed":
    {
        var dir = options.Required("out");
        Directory.CreateDirectory(dir);
        using var client = new ServiceClient(options.Required("url"), options.Get("token", ""), 16);
        var patients = options.Int("patients", 1000);
        var perPatient = options.Int("per-patient", 10);
        var groups = DataLoader.Groups("seed", 1, (long)patients * perPatient, perPatient).ToList();
        var loader = new DataLoader(client);
        // Bundles when the service has them (small ones: seeding is not the bulk benchmark), else one create each.
        var outcome = await loader.BundlesAsync(groups, 1000, 1, null, ct);
        var path = "bundles";
        if (outcome.Status == "missing")
        {
            outcome = await loader.OneByOneAsync(groups, 16, ct);
            path = "single creates";
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seeded {outcome.Resources:N0} resources ({outcome.Consents:N0} consents, {outcome.Studies:N0} studies) through {path} in {outcome.Seconds:N1} s: {outcome.Status} {outcome.Message}"));
        await File.WriteAllLinesAsync(Path.Combine(dir, "studies.txt"), groups.SelectMany(g => g.StudyUids), ct);
        // For single decisions: the first study of each patient, so the rotation crosses every kind of consent.
        await File.WriteAllLinesAsync(Path.Combine(dir, "single-studies.txt"), groups.Select(g => g.StudyUids[0]), ct);
        await WriteAsync(Path.Combine(dir, "seed.json"), ToJson(outcome, path), ct);
        return outcome.Status == "ok" ? 0 : 1;
    }
    case "bulk":
    {
        using var client = new ServiceClient(options.Required("url"), options.Get("token", ""), 8);
        var studies = options.Long("studies", 1_000_000);
        var loader = new DataLoader(client);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(options.Int("deadline-seconds", 900)));
        var outcome = await loader.BundlesAsync(DataLoader.Groups("bulk", 2, studies, 10), options.Int("bundle-entries", 10_000),
            options.Int("concurrency", 2), Console.WriteLine, ct, deadline.Token);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bulk: {outcome.Status}, {outcome.Resources:N0} resources in {outcome.Seconds:N1} s = {outcome.PerSecond:N0}/s {outcome.Message}"));
        await WriteAsync(options.Required("out"), ToJson(outcome, "bundles"), ct);
        return outcome.Status == "error" ? 1 : 0;
    }
    case "batch":
    {
        using var client = new ServiceClient(options.Required("url"), options.Get("token", ""), 2);
        var studies = (await File.ReadAllLinesAsync(options.Required("studies-file"), ct))
            .Where(l => l.Length > 0).Take(options.Int("count", 10_000)).ToList();
        var result = await DecisionRuns.BatchAsync(client, studies, options.Get("actor", Synthetic.Vendor), options.Int("rounds", 3), ct);
        Console.WriteLine($"batch: {result.ToJsonString()}");
        await WriteAsync(options.Required("out"), result, ct);
        return (string?)result["status"] == "error" ? 1 : 0;
    }
    case "cohort":
    {
        using var client = new ServiceClient(options.Required("url"), options.Get("token", ""), 2);
        var filter = JsonNode.Parse(options.Get("filter",
            """{"modality":["CT","MR"],"bodySite":["51185008"],"startedFrom":"2015-01-01","startedTo":"2026-01-01"}"""));
        var request = new JsonObject
        {
            ["actor"] = options.Get("actor", Synthetic.Vendor),
            ["purpose"] = new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActReason", ["code"] = "MLTRAINING" },
            ["action"] = "use",
            ["filter"] = filter,
        };
        int? pid = options.Has("pid") ? options.Int("pid", 0) : null;
        var result = await DecisionRuns.CohortAsync(client, request, pid, TimeSpan.FromSeconds(options.Int("deadline-seconds", 240)), ct);
        if (options.Has("studies-registered")) result["studiesRegistered"] = options.Long("studies-registered", 0);
        result["request"] = request.DeepClone();
        Console.WriteLine($"cohort: {result.ToJsonString()}");
        await WriteAsync(options.Required("out"), result, ct);
        return (string?)result["status"] == "error" ? 1 : 0;
    }
    case "report":
        Console.Write(Report.Build(options.Required("dir")));
        return 0;
    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'");
        return 2;
}

static JsonObject ToJson(LoadOutcome outcome, string path) => new()
{
    ["status"] = outcome.Status,
    ["path"] = path,
    ["resources"] = outcome.Resources,
    ["studies"] = outcome.Studies,
    ["consents"] = outcome.Consents,
    ["bundles"] = outcome.Bundles,
    ["seconds"] = Math.Round(outcome.Seconds, 2),
    ["perSecond"] = Math.Round(outcome.PerSecond, 0),
    ["message"] = outcome.Message,
    ["stoppedAtDeadline"] = outcome.StoppedAtDeadline,
};

static Task WriteAsync(string path, JsonObject result, CancellationToken ct) =>
    File.WriteAllTextAsync(path, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);

/// <summary>"--name value" pairs.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

    public static Options Parse(IEnumerable<string> args)
    {
        var options = new Options();
        string? name = null;
        foreach (var arg in args)
        {
            if (name is null)
            {
                if (!arg.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"expected --option, got '{arg}'");
                name = arg[2..];
            }
            else
            {
                options.values[name] = arg;
                name = null;
            }
        }
        if (name is not null) throw new ArgumentException($"--{name} needs a value");
        return options;
    }

    public bool Has(string name) => values.ContainsKey(name);
    public string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);
    public string Required(string name) => values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");
    public int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    public long Long(string name, long fallback) => values.TryGetValue(name, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
