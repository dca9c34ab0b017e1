using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ConsentService.Benchmarks;

// A short in-process job: the run stays around a minute on 2 cores (no generated project to build), which is
// enough for a per-decision cost that is stable to a few percent. The JSON report is what bench/run.sh reads.
var config = ManualConfig.CreateEmpty()
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("short"))
    .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
    .AddLogger(DefaultConfig.Instance.GetLoggers().ToArray())
    .AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default)
    .AddExporter(JsonExporter.Brief, CsvExporter.Default)
    .WithOptions(ConfigOptions.DisableLogFile);
var artifacts = Environment.GetEnvironmentVariable("BENCH_ARTIFACTS");
if (!string.IsNullOrEmpty(artifacts)) config = config.WithArtifactsPath(artifacts);
BenchmarkSwitcher.FromAssembly(typeof(EngineBenchmarks).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args, config);
