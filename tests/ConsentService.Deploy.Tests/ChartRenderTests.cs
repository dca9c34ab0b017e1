using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ConsentService.Deploy.Tests.GoTemplates;
using ConsentService.Deploy.Tests.Helm;
using static ConsentService.Deploy.Tests.ChartScenarios;

namespace ConsentService.Deploy.Tests;

/// <summary>Renders every template of helm/ for the SQLite and the Cosmos installs, parses the output as Kubernetes
/// YAML and checks what an operator relies on: kinds, probes, security, secrets by reference only, the storage switch.</summary>
public sealed partial class ChartRenderTests
{
    private static readonly string[] StandardLabels =
        ["helm.sh/chart", "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by"];

    [Fact]
    public void Sqlite_install_renders_exactly_configmap_deployment_claim_and_service()
    {
        var kinds = Render(Sqlite).Select(m => $"{m.ApiVersion} {m.Kind}").Order(StringComparer.Ordinal);
        Assert.Equal(["apps/v1 Deployment", "v1 ConfigMap", "v1 PersistentVolumeClaim", "v1 Service"], kinds);
    }

    [Fact]
    public void Cosmos_install_renders_autoscaler_budget_monitor_and_dashboard_and_no_claim()
    {
        var kinds = Render(Cosmos).Select(m => $"{m.ApiVersion} {m.Kind}").Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "apps/v1 Deployment", "autoscaling/v2 HorizontalPodAutoscaler", "monitoring.coreos.com/v1 ServiceMonitor",
            "policy/v1 PodDisruptionBudget", "v1 ConfigMap", "v1 ConfigMap", "v1 Service",
        ], kinds);
    }

    [Theory]
    [MemberData(nameof(Both), MemberType = typeof(ChartScenarios))]
    public void Every_object_has_a_valid_name_and_the_standard_labels_and_no_namespace_of_its_own(string scenario)
    {
        foreach (var manifest in Render(scenario))
        {
            Assert.Matches(DnsLabel(), manifest.Name);
            Assert.Null(manifest.Get("metadata.namespace"));
            var labels = manifest.Map("metadata.labels");
            Assert.All(StandardLabels, label => Assert.True(labels.ContainsKey(label), $"{manifest.Kind} lacks label {label}"));
            Assert.All(labels.Values, value => Assert.Matches(LabelValue(), Assert.IsType<string>(value)));
        }
    }

    [Theory]
    [MemberData(nameof(Both), MemberType = typeof(ChartScenarios))]
    public void Probes_use_the_health_endpoints_on_the_http_port_8080(string scenario)
    {
        var manifests = Render(scenario);
        var container = manifests.Container;
        var port = Assert.Single(Manifest.Navigate(container, "ports") as IList<object?> ?? []).AsMap();
        Assert.Equal("http", port["name"]);
        Assert.Equal(8080L, port["containerPort"]);
        Assert.Equal("/healthz/live", Manifest.Navigate(container, "startupProbe.httpGet.path"));
        Assert.Equal("/healthz/live", Manifest.Navigate(container, "livenessProbe.httpGet.path"));
        Assert.Equal("/healthz/ready", Manifest.Navigate(container, "readinessProbe.httpGet.path"));
        foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
        {
            Assert.Equal("http", Manifest.Navigate(container, $"{probe}.httpGet.port"));
            Assert.IsType<long>(Manifest.Navigate(container, $"{probe}.periodSeconds"));
            Assert.IsType<long>(Manifest.Navigate(container, $"{probe}.failureThreshold"));
        }
        var service = manifests.Single("Service");
        Assert.Equal("http", service.Get("spec.ports[0].targetPort"));
        Assert.Equal("http", service.Get("spec.ports[0].name"));
        Assert.Equal(80L, service.Get("spec.ports[0].port"));
        Assert.Equal("http://+:8080", EnvValue(container, "ASPNETCORE_URLS"));
        Assert.NotNull(Manifest.Navigate(container, "resources.requests.cpu"));
        Assert.NotNull(Manifest.Navigate(container, "resources.limits.memory"));
    }

    [Theory]
    [MemberData(nameof(Both), MemberType = typeof(ChartScenarios))]
    public void Pod_and_container_run_non_root_read_only_without_privileges(string scenario)
    {
        var manifests = Render(scenario);
        var pod = manifests.Deployment.Map("spec.template.spec.securityContext");
        Assert.Equal(true, pod["runAsNonRoot"]);
        Assert.Equal(10001L, pod["runAsUser"]);
        Assert.Equal(10001L, pod["runAsGroup"]);
        Assert.Equal(10001L, pod["fsGroup"]);
        Assert.Equal("RuntimeDefault", Manifest.Navigate(pod, "seccompProfile.type"));

        var container = Manifest.Navigate(manifests.Container, "securityContext").AsMap();
        Assert.Equal(true, container["runAsNonRoot"]);
        Assert.Equal(10001L, container["runAsUser"]);
        Assert.Equal(true, container["readOnlyRootFilesystem"]);
        Assert.Equal(false, container["allowPrivilegeEscalation"]);
        Assert.Equal(false, container["privileged"]);
        Assert.Equal(["ALL"], Assert.IsAssignableFrom<IList<object?>>(Manifest.Navigate(container, "capabilities.drop")));
        Assert.Null(Manifest.Navigate(container, "capabilities.add"));
        Assert.Equal("RuntimeDefault", Manifest.Navigate(container, "seccompProfile.type"));

        Assert.Equal(false, manifests.Deployment.Get("spec.template.spec.automountServiceAccountToken"));
        Assert.Null(manifests.Deployment.Get("spec.template.spec.hostNetwork"));
        Assert.Null(manifests.Deployment.Get("spec.template.spec.hostPID"));
    }

    [Theory]
    [MemberData(nameof(Both), MemberType = typeof(ChartScenarios))]
    public void Every_writable_path_is_a_volume_tmp_always_and_data_only_with_sqlite(string scenario)
    {
        var manifests = Render(scenario);
        var mounts = (Manifest.Navigate(manifests.Container, "volumeMounts") as IList<object?> ?? [])
            .Select(m => m.AsMap()).ToDictionary(m => (string)m["mountPath"]!, m => (string)m["name"]!);
        var volumes = manifests.Deployment.List("spec.template.spec.volumes").Select(v => v.AsMap()).ToDictionary(v => (string)v["name"]!);
        Assert.All(mounts.Values, name => Assert.True(volumes.ContainsKey(name), $"volume {name} is mounted but not declared"));
        Assert.Equal(mounts.Count, volumes.Count);
        Assert.Equal("tmp", mounts["/tmp"]);
        Assert.NotNull(Manifest.Navigate(volumes["tmp"], "emptyDir.sizeLimit"));
        if (scenario == Sqlite)
        {
            Assert.Equal(new[] { "/data", "/tmp" }, mounts.Keys.Order(StringComparer.Ordinal));
            var claim = manifests.Single("PersistentVolumeClaim");
            Assert.Equal(claim.Name, Manifest.Navigate(volumes[mounts["/data"]], "persistentVolumeClaim.claimName"));
            var databasePath = (string)ConfigMap(manifests)["Storage__Sqlite__Path"]!;
            Assert.StartsWith("/data/", databasePath, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(["/tmp"], mounts.Keys);
            Assert.DoesNotContain(volumes.Values, v => v.ContainsKey("persistentVolumeClaim"));
            Assert.False(ConfigMap(manifests).ContainsKey("Storage__Sqlite__Path"));
        }
    }

    [Theory]
    [MemberData(nameof(Both), MemberType = typeof(ChartScenarios))]
    public void Secrets_are_only_referenced_by_name_never_written_into_the_chart(string scenario)
    {
        var manifests = Render(scenario,
            "auth:\n  signingKeySecret:\n    name: consent-auth\n",
            "extraSecretEnv:\n  - name: Audit__ExportKey\n    secretName: consent-export\n    key: export-key\n");
        Assert.Empty(manifests.OfKind("Secret"));
        var env = (Manifest.Navigate(manifests.Container, "env") as IList<object?> ?? []).Select(e => e.AsMap()).ToList();
        foreach (var variable in env.Where(e => SecretLike().IsMatch((string)e["name"]!)))
        {
            Assert.False(variable.ContainsKey("value"), $"{variable["name"]} carries a plain value");
            Assert.NotNull(Manifest.Navigate(variable, "valueFrom.secretKeyRef.name"));
            Assert.NotNull(Manifest.Navigate(variable, "valueFrom.secretKeyRef.key"));
        }
        var signingKey = Assert.Single(env, e => (string)e["name"]! == "Auth__SigningKey");
        Assert.Equal("consent-auth", Manifest.Navigate(signingKey, "valueFrom.secretKeyRef.name"));
        Assert.Equal("signingKey", Manifest.Navigate(signingKey, "valueFrom.secretKeyRef.key"));
        Assert.Equal("consent-export", Manifest.Navigate(Assert.Single(env, e => (string)e["name"]! == "Audit__ExportKey"), "valueFrom.secretKeyRef.name"));
        var connection = env.SingleOrDefault(e => (string)e["name"]! == "Storage__Cosmos__ConnectionString");
        if (scenario == Cosmos)
        {
            Assert.Equal("consentservice-cosmos", Manifest.Navigate(connection, "valueFrom.secretKeyRef.name"));
            Assert.Equal("connectionString", Manifest.Navigate(connection, "valueFrom.secretKeyRef.key"));
        }
        else
        {
            Assert.Null(connection);
        }
        foreach (var configMap in manifests.OfKind("ConfigMap").Where(c => !c.Name.EndsWith("-dashboard", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(configMap.Map("data").Keys, key => SecretLike().IsMatch(key));
        }
        Assert.All(manifests, m => Assert.DoesNotMatch(SecretValue(), m.Text));
    }

    [Fact]
    public void Without_a_signing_key_secret_no_signing_key_variable_is_rendered()
    {
        var env = (Manifest.Navigate(Render(Sqlite).Container, "env") as IList<object?> ?? []).Select(e => (string)e.AsMap()["name"]!);
        Assert.DoesNotContain("Auth__SigningKey", env);
    }

    [Theory]
    [MemberData(nameof(Both), MemberType = typeof(ChartScenarios))]
    public void ConfigMap_holds_the_service_settings_as_strings_and_the_pod_reads_it(string scenario)
    {
        var manifests = Render(scenario, "decisions:\n  defaultPolicy: opt-out\nextraConfig:\n  OTEL_EXPORTER_OTLP_ENDPOINT: http://otel-collector:4317\n");
        var data = ConfigMap(manifests);
        Assert.All(data, pair => Assert.IsType<string>(pair.Value));
        Assert.Equal("Production", data["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal(scenario == Cosmos ? "Cosmos" : "Sqlite", data["Storage__Provider"]);
        Assert.Equal("opt-out", data["Decisions__DefaultPolicy"]);
        Assert.Equal("100", data["RateLimiting__PermitsPerSecond"]);
        Assert.Equal("100", data["RateLimiting__Burst"]);
        Assert.Equal("http://otel-collector:4317", data["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (scenario == Cosmos)
        {
            Assert.Equal("consentservice", data["Storage__Cosmos__Database"]);
            Assert.Equal("api://consentservice", data["Auth__Audience"]);
            Assert.Equal("https://login.example.org/tenant/v2.0", data["Auth__Issuer"]);
            Assert.Equal("https://login.example.org/tenant/v2.0", data["Auth__Authority"]);
        }
        else
        {
            Assert.False(data.ContainsKey("Auth__Authority"), "an empty auth value is left unset, not set to the empty string");
        }
        var configMapName = manifests.OfKind("ConfigMap").Single(c => c.Map("data").ContainsKey("Storage__Provider")).Name;
        Assert.Equal(configMapName, Manifest.Navigate(manifests.Container, "envFrom[0].configMapRef.name"));
    }

    [Fact]
    public void Pods_restart_when_the_configuration_changes()
    {
        string Checksum(Manifests m) => (string)m.Deployment.Get("spec.template.metadata.annotations")!.AsMap()["checksum/config"]!;
        var before = Render(Sqlite);
        var after = Render(Sqlite, "rateLimiting:\n  burst: 500\n");
        var values = Chart.Values();
        var configMapText = Chart.RenderTemplates(values)["consentservice/templates/configmap.yaml"];
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(configMapText))), Checksum(before));
        Assert.NotEqual(Checksum(before), Checksum(after));
    }

    [Theory]
    [MemberData(nameof(Both), MemberType = typeof(ChartScenarios))]
    public void Selectors_match_the_pods_and_references_match_the_objects(string scenario)
    {
        var manifests = Render(scenario);
        var deployment = manifests.Deployment;
        var podLabels = deployment.Map("spec.template.metadata.labels");
        var selector = deployment.Map("spec.selector.matchLabels");
        Assert.NotEmpty(selector);
        AssertSubset(selector, podLabels);
        Assert.DoesNotContain("app.kubernetes.io/version", selector.Keys);
        var service = manifests.Single("Service");
        Assert.Equal(selector, service.Map("spec.selector"));
        Assert.Equal(deployment.Name, service.Name);
        foreach (var budget in manifests.OfKind("PodDisruptionBudget"))
        {
            Assert.Equal(selector, budget.Map("spec.selector.matchLabels"));
        }
        foreach (var autoscaler in manifests.OfKind("HorizontalPodAutoscaler"))
        {
            Assert.Equal("Deployment", autoscaler.Get("spec.scaleTargetRef.kind"));
            Assert.Equal("apps/v1", autoscaler.Get("spec.scaleTargetRef.apiVersion"));
            Assert.Equal(deployment.Name, autoscaler.Get("spec.scaleTargetRef.name"));
        }
        foreach (var monitor in manifests.OfKind("ServiceMonitor"))
        {
            AssertSubset(monitor.Map("spec.selector.matchLabels"), service.Map("metadata.labels"));
            Assert.Equal(service.Get("spec.ports[0].name"), monitor.Get("spec.endpoints[0].port"));
            Assert.Equal(HelmChart.Namespace, monitor.Get("spec.namespaceSelector.matchNames[0]"));
        }
    }

    [Fact]
    public void Sqlite_runs_exactly_one_replica_with_Recreate_whatever_the_scaling_values_say()
    {
        var manifests = Render(Sqlite, "replicaCount: 5\nautoscaling:\n  enabled: true\npodDisruptionBudget:\n  enabled: true\n");
        Assert.Equal(1L, manifests.Deployment.Get("spec.replicas"));
        Assert.Equal("Recreate", manifests.Deployment.Get("spec.strategy.type"));
        Assert.Null(manifests.Deployment.Get("spec.strategy.rollingUpdate"));
        Assert.Empty(manifests.OfKind("HorizontalPodAutoscaler"));
        Assert.Empty(manifests.OfKind("PodDisruptionBudget"));
        var claim = manifests.Single("PersistentVolumeClaim");
        Assert.Equal("consent-consentservice-data", claim.Name);
        Assert.Equal("keep", claim.Map("metadata.annotations")["helm.sh/resource-policy"]);
        Assert.Equal(["ReadWriteOnce"], claim.List("spec.accessModes"));
        Assert.Equal("10Gi", claim.Get("spec.resources.requests.storage"));
    }

    [Fact]
    public void Sqlite_with_an_existing_claim_mounts_it_and_creates_none()
    {
        var manifests = Render(Sqlite, "storage:\n  sqlite:\n    persistence:\n      existingClaim: consent-data-restored\n");
        Assert.Empty(manifests.OfKind("PersistentVolumeClaim"));
        var volumes = manifests.Deployment.List("spec.template.spec.volumes").Select(v => v.AsMap());
        Assert.Contains(volumes, v => Equals(Manifest.Navigate(v, "persistentVolumeClaim.claimName"), "consent-data-restored"));
    }

    [Fact]
    public void Cosmos_runs_several_replicas_rolling_with_autoscaler_and_budget()
    {
        var manifests = Render(Cosmos);
        var deployment = manifests.Deployment;
        Assert.Null(deployment.Get("spec.replicas"));
        var autoscaler = manifests.Single("HorizontalPodAutoscaler");
        Assert.True((long)autoscaler.Get("spec.minReplicas")! >= 2);
        Assert.True((long)autoscaler.Get("spec.maxReplicas")! >= (long)autoscaler.Get("spec.minReplicas")!);
        Assert.Equal("Utilization", autoscaler.Get("spec.metrics[0].resource.target.type"));
        Assert.Equal("RollingUpdate", deployment.Get("spec.strategy.type"));
        Assert.Equal(0L, deployment.Get("spec.strategy.rollingUpdate.maxUnavailable"));
        Assert.Equal(1L, manifests.Single("PodDisruptionBudget").Get("spec.maxUnavailable"));
        Assert.Empty(manifests.OfKind("PersistentVolumeClaim"));
    }

    [Fact]
    public void Cosmos_without_autoscaling_runs_the_configured_replica_count()
    {
        var manifests = Render(Cosmos, "autoscaling:\n  enabled: false\n");
        Assert.Equal(3L, manifests.Deployment.Get("spec.replicas"));
        Assert.Empty(manifests.OfKind("HorizontalPodAutoscaler"));
        Assert.Single(manifests.OfKind("PodDisruptionBudget"));
    }

    [Fact]
    public void Cosmos_without_a_connection_string_secret_is_refused_by_the_template_too()
    {
        var values = Chart.Values("storage:\n  provider: cosmos\n");
        var error = Assert.Throws<TemplateException>(() => Chart.RenderTemplates(values, validate: false));
        Assert.Contains("storage.cosmos.connectionStringSecret.name is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ServiceMonitor_is_rendered_only_when_enabled_and_scrapes_metrics()
    {
        Assert.Empty(Render(Sqlite).OfKind("ServiceMonitor"));
        Assert.Empty(Render(Cosmos, "serviceMonitor:\n  enabled: false\n").OfKind("ServiceMonitor"));
        var monitor = Render(Sqlite, "serviceMonitor:\n  enabled: true\n  labels:\n    release: kube-prometheus-stack\n").Single("ServiceMonitor");
        Assert.Equal("monitoring.coreos.com/v1", monitor.ApiVersion);
        Assert.Equal("/metrics", monitor.Get("spec.endpoints[0].path"));
        Assert.Equal("30s", monitor.Get("spec.endpoints[0].interval"));
        Assert.Equal("kube-prometheus-stack", monitor.Map("metadata.labels")["release"]);
    }

    [Fact]
    public void Dashboard_ConfigMap_is_rendered_only_when_enabled_and_carries_the_dashboard_file()
    {
        Assert.Single(Render(Sqlite).OfKind("ConfigMap"));
        var dashboard = Render(Sqlite, "dashboards:\n  enabled: true\n").OfKind("ConfigMap").Single(c => c.Name.EndsWith("-dashboard", StringComparison.Ordinal));
        Assert.Equal("1", dashboard.Map("metadata.labels")["grafana_dashboard"]);
        var json = (string)dashboard.Map("data")["consentservice.json"]!;
        Assert.Equal(RepositoryFiles.Read("helm/dashboards/consentservice.json").TrimEnd('\n'), json);
        using var parsed = JsonDocument.Parse(json);
        Assert.Equal("consentservice", parsed.RootElement.GetProperty("uid").GetString());
    }

    [Fact]
    public void Names_follow_the_overrides_and_stay_within_63_characters()
    {
        Assert.Equal("consent-consentservice", Render(Sqlite).Deployment.Name);
        Assert.Equal("consent-ai", Render(Sqlite, "nameOverride: ai\n").Deployment.Name);
        Assert.Equal("consents", Render(Sqlite, "fullnameOverride: consents\n").Deployment.Name);
        var longName = new string('a', 63);
        var manifests = Render(Cosmos, $"fullnameOverride: {longName}\n");
        Assert.All(manifests, m => Assert.True(m.Name.Length <= 63, $"{m.Kind} name {m.Name} is too long"));
    }

    [Fact]
    public void Image_defaults_to_the_chart_appVersion()
    {
        Assert.Equal($"consentservice:{Chart.ChartMetadata["appVersion"]}", Manifest.Navigate(Render(Sqlite).Container, "image"));
        Assert.Equal("registry.example.org/consentservice:1.2.3",
            Manifest.Navigate(Render(Sqlite, "image:\n  repository: registry.example.org/consentservice\n  tag: \"1.2.3\"\n").Container, "image"));
    }

    [Fact]
    public void Scheduling_values_pass_through_as_yaml()
    {
        var manifests = Render(Cosmos,
            "nodeSelector:\n  kubernetes.io/os: linux\ntolerations:\n  - key: dedicated\n    operator: Equal\n    value: imaging\n    effect: NoSchedule\n" +
            "podAnnotations:\n  example.org/team: radiology\nimagePullSecrets:\n  - name: registry-credentials\n");
        var pod = manifests.Deployment.Map("spec.template.spec");
        Assert.Equal("linux", Manifest.Navigate(pod, "nodeSelector").AsMap()["kubernetes.io/os"]);
        Assert.Equal("NoSchedule", Manifest.Navigate(pod, "tolerations[0].effect"));
        Assert.Equal("registry-credentials", Manifest.Navigate(pod, "imagePullSecrets[0].name"));
        Assert.Equal("radiology", manifests.Deployment.Map("spec.template.metadata.annotations")["example.org/team"]);
    }

    [Fact]
    public void Operations_guide_documents_every_variable_the_chart_sets()
    {
        var guide = RepositoryFiles.Read("docs/operations.md");
        var cosmos = Render(Cosmos, "auth:\n  signingKeySecret:\n    name: consent-auth\n");
        var names = ConfigMap(Render(Sqlite)).Keys
            .Concat(ConfigMap(cosmos).Keys)
            .Concat((Manifest.Navigate(cosmos.Container, "env") as IList<object?> ?? []).Select(e => (string)e.AsMap()["name"]!))
            .Distinct();
        Assert.All(names, name => Assert.Contains($"`{name}`", guide, StringComparison.Ordinal));
    }

    internal static IDictionary<string, object?> ConfigMap(Manifests manifests) =>
        manifests.OfKind("ConfigMap").Single(c => c.Map("data").ContainsKey("Storage__Provider")).Map("data");

    private static object? EnvValue(IDictionary<string, object?> container, string name) =>
        (Manifest.Navigate(container, "env") as IList<object?> ?? []).Select(e => e.AsMap()).Single(e => (string)e["name"]! == name)["value"];

    private static void AssertSubset(IDictionary<string, object?> subset, IDictionary<string, object?> of)
    {
        foreach (var (key, value) in subset)
        {
            Assert.True(of.TryGetValue(key, out var other) && Equals(value, other), $"label {key}={value} is missing");
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex("(?i)(password|secret|connectionstring|signingkey|accountkey|apikey|token|key$)")]
    internal static partial Regex SecretLike();

    [GeneratedRegex("(?i)(AccountKey=|SharedAccessKey=|password=|-----BEGIN|eyJ[a-zA-Z0-9_-]{10,}\\.)")]
    private static partial Regex SecretValue();
}
