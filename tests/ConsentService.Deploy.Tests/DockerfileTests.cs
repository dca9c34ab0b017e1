using System.Text.Json;
using System.Text.RegularExpressions;
using ConsentService.Deploy.Tests.Helm;
using static ConsentService.Deploy.Tests.ChartScenarios;

namespace ConsentService.Deploy.Tests;

/// <summary>No Docker engine runs here, so the Dockerfile is checked by reading it: its stages, its restore cache,
/// its non-root user and port, and that the chart agrees with it.</summary>
public sealed partial class DockerfileTests
{
    private sealed record Instruction(string Keyword, string Arguments);

    private sealed record Stage(string Image, string Name, List<Instruction> Instructions)
    {
        public IEnumerable<string> Arguments(string keyword) =>
            Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);
    }

    private static readonly Lazy<(Dictionary<string, string> GlobalArgs, List<Stage> Stages)> Parsed = new(Parse);

    private static List<Stage> Stages => Parsed.Value.Stages;

    private static (Dictionary<string, string>, List<Stage>) Parse()
    {
        var text = RepositoryFiles.Read("Dockerfile");
        var logical = LineContinuation().Replace(text, " ");
        var globalArgs = new Dictionary<string, string>(StringComparer.Ordinal);
        var stages = new List<Stage>();
        foreach (var raw in logical.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var space = line.IndexOf(' ');
            var keyword = line[..space].ToUpperInvariant();
            var arguments = line[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                var parts = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var image = Substitute(parts[0], globalArgs);
                stages.Add(new Stage(image, parts.Length == 3 && parts[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? parts[2] : "", []));
            }
            else if (stages.Count == 0)
            {
                Assert.Equal("ARG", keyword);
                var pair = arguments.Split('=', 2);
                globalArgs[pair[0]] = pair.Length == 2 ? pair[1] : "";
            }
            else
            {
                stages[^1].Instructions.Add(new Instruction(keyword, arguments));
            }
        }
        return (globalArgs, stages);
    }

    private static string Substitute(string text, IReadOnlyDictionary<string, string> args) =>
        ArgReference().Replace(text, m => args.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    private static Dictionary<string, string> StageArgs(Stage stage) => stage.Arguments("ARG")
        .Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : "", StringComparer.Ordinal);

    private static Dictionary<string, string> Environment(Stage stage) => stage.Arguments("ENV")
        .SelectMany(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    private static Stage Runtime => Stages[^1];

    [Fact]
    public void Two_stages_sdk_build_then_aspnet_runtime_of_dotnet_10()
    {
        Assert.Equal(2, Stages.Count);
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", Stages[0].Image);
        Assert.Equal("build", Stages[0].Name);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", Runtime.Image);
        Assert.Contains(Runtime.Arguments("COPY"), c => c.StartsWith("--from=build ", StringComparison.Ordinal));
        Assert.DoesNotContain(Runtime.Arguments("COPY"), c => !c.StartsWith("--from=", StringComparison.Ordinal));
    }

    [Fact]
    public void Restore_is_a_layer_of_its_own_fed_only_by_project_and_props_files()
    {
        var build = Stages[0].Instructions;
        var restore = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        var publish = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.True(restore > 0 && publish > restore);
        Assert.Contains("--no-restore", build[publish].Arguments, StringComparison.Ordinal);
        Assert.Contains("-c Release", build[publish].Arguments, StringComparison.Ordinal);
        var beforeRestore = build.Take(restore).Where(i => i.Keyword == "COPY").SelectMany(i => i.Arguments.Split(' ')[..^1]).ToList();
        Assert.All(beforeRestore, source => Assert.Matches(@"(\.csproj|\.props)$", source));
        var projects = Directory.GetFiles(RepositoryFiles.Path("src"), "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(RepositoryFiles.Path(""), p).Replace('\\', '/'));
        Assert.All(projects, project => Assert.Contains(project, beforeRestore));
        Assert.Contains("Directory.Packages.props", beforeRestore);
        Assert.Contains("Directory.Build.props", beforeRestore);
        Assert.Contains(build.Skip(restore), i => i.Keyword == "COPY" && i.Arguments.StartsWith("src/", StringComparison.Ordinal));
    }

    [Fact]
    public void Runtime_runs_as_a_numeric_non_root_user_that_the_chart_also_uses()
    {
        var user = Assert.Single(Runtime.Arguments("USER"));
        var resolved = Substitute(user, StageArgs(Runtime));
        Assert.Matches("^[0-9]+(:[0-9]+)?$", resolved);
        var uid = long.Parse(resolved.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(0, uid);
        var afterUser = Runtime.Instructions.SkipWhile(i => i.Keyword != "USER").Skip(1);
        Assert.DoesNotContain(afterUser, i => i.Keyword is "RUN" or "USER");
        var pod = Render(Sqlite).Deployment.Map("spec.template.spec.securityContext");
        Assert.Equal(uid, pod["runAsUser"]);
    }

    [Fact]
    public void Runtime_listens_on_8080_and_keeps_its_data_in_the_data_folder_the_chart_mounts()
    {
        Assert.Equal("8080", Assert.Single(Runtime.Arguments("EXPOSE")));
        var env = Environment(Runtime);
        Assert.Equal("http://+:8080", env["ASPNETCORE_URLS"]);
        Assert.Equal("0", env["DOTNET_EnableDiagnostics"]);
        Assert.Equal("/data/consents.db", env["Storage__Sqlite__Path"]);
        Assert.Contains(Runtime.Arguments("RUN"), r => r.Contains("mkdir -p /data", StringComparison.Ordinal) && r.Contains("chown", StringComparison.Ordinal));

        var manifests = Render(Sqlite);
        Assert.Equal(8080L, Manifest.Navigate(manifests.Container, "ports[0].containerPort"));
        Assert.Equal(env["Storage__Sqlite__Path"], ChartRenderTests.ConfigMap(manifests)["Storage__Sqlite__Path"]);
    }

    [Fact]
    public void Entrypoint_is_exec_form_running_the_api_assembly()
    {
        var entrypoint = JsonSerializer.Deserialize<string[]>(Assert.Single(Runtime.Arguments("ENTRYPOINT")))!;
        Assert.Equal(["dotnet", "ConsentService.Api.dll"], entrypoint);
        Assert.True(File.Exists(RepositoryFiles.Path("src/ConsentService.Api/ConsentService.Api.csproj")));
        Assert.Empty(Runtime.Arguments("CMD"));
    }

    [Fact]
    public void No_secret_is_baked_into_the_image_or_sent_in_the_build_context()
    {
        var text = RepositoryFiles.Read("Dockerfile");
        var names = Stages.SelectMany(s => s.Arguments("ENV").Concat(s.Arguments("ARG")))
            .SelectMany(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(p => p.Split('=')[0]);
        Assert.DoesNotContain(names, n => ChartRenderTests.SecretLike().IsMatch(n));
        Assert.DoesNotMatch("(?i)(AccountKey=|password=|--build-arg|-----BEGIN)", text);
        var ignored = RepositoryFiles.Read(".dockerignore").Split('\n').Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);
        Assert.All(new[] { "**/bin/", "**/obj/", ".git", "data/", "**/*.db", "**/*.db-wal", "**/.env", "tests/" },
            pattern => Assert.Contains(pattern, ignored));
    }

    [GeneratedRegex(@"\\\r?\n")]
    private static partial Regex LineContinuation();

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex ArgReference();
}
