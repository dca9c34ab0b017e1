using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ConsentService.Benchmarks;

// A short in-process job (3 warm-ups, 10 iterations, one launch, no generated project to build) keeps the run
// under a minute on 2 cores. bench/run.sh reads the brief JSON report (median ns/op, allocated bytes/op).
var config = ManualConfig.CreateEmpty()
    .AddJob(Job.ShortRun.WithIterationCount(10).WithToolchain(InProcessEmitToolchain.Instance).WithId("short"))
    .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
    .AddLogger(DefaultConfig.Instance.GetLoggers().ToArray())
    .AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default)
    .AddExporter(JsonExporter.Brief, CsvExporter.Default)
    .WithOptions(ConfigOptions.DisableLogFile);
var artifacts = Environment.GetEnvironmentVariable("BENCH_ARTIFACTS");
if (!string.IsNullOrEmpty(artifacts)) config = config.WithArtifactsPath(artifacts);
BenchmarkSwitcher.FromAssembly(typeof(EngineBenchmarks).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args, config);
