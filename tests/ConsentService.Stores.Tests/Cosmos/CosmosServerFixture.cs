using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ConsentService.Stores.Tests.Cosmos;

/// <summary>
/// The Cosmos DB wire-compatible test server (npm <c>@vercel/cosmosdb-server</c>, pinned in
/// tests/cosmos-server/package-lock.json), started once per test assembly on a free loopback port over HTTPS
/// and stopped at the end. Runs <c>npm ci</c> first when node_modules is missing. Its data lives in memory only.
/// </summary>
public sealed class CosmosServerFixture : IAsyncLifetime
{
    /// <summary>The account key the test server accepts: base64 of 64 zero bytes.</summary>
    public static readonly string AccountKey = Convert.ToBase64String(new byte[64]);

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private Process? _server;
    private readonly StringBuilder _output = new();

    public int Port { get; private set; }

    /// <summary>`npm ci` when the server package is missing, by one process at a time: several test assemblies start
    /// this fixture in parallel, and two concurrent `npm ci` in one folder corrupt each other's node_modules.</summary>
    private static async Task InstallOnceAsync(string folder)
    {
        var installed = Path.Combine(folder, "node_modules", "@vercel", "cosmosdb-server", "lib", "index.js");
        if (File.Exists(installed))
            return;
        var deadline = DateTime.UtcNow.AddMinutes(6);
        while (true)
        {
            try
            {
                using var gate = new FileStream(Path.Combine(folder, ".npm-install.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                if (!File.Exists(installed))
                    await RunToEndAsync("npm", "ci --no-audit --no-fund --loglevel=error", folder, TimeSpan.FromMinutes(5));
                return;
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250); // another process holds the gate and is installing
            }
        }
    }

    public string ConnectionString => $"AccountEndpoint=https://127.0.0.1:{Port}/;AccountKey={AccountKey};";

    public async Task InitializeAsync()
    {
        var folder = Path.Combine(RepositoryRoot(), "tests", "cosmos-server");
        await InstallOnceAsync(folder);

        Port = FreeLoopbackPort();
        var start = new ProcessStartInfo("node", $"server.js 127.0.0.1 {Port}")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _server = Process.Start(start) ?? throw new InvalidOperationException("Could not start the Cosmos test server (node).");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (_output)
                _output.AppendLine(e.Data);
            if (e.Data.Contains("Ready to accept", StringComparison.Ordinal))
                ready.TrySetResult();
        };
        _server.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_output)
                    _output.AppendLine(e.Data);
        };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        var finished = await Task.WhenAny(ready.Task, _server.WaitForExitAsync(), Task.Delay(StartTimeout));
        if (finished != ready.Task)
        {
            string output;
            lock (_output)
                output = _output.ToString();
            await DisposeAsync();
            throw new InvalidOperationException($"The Cosmos test server did not start on port {Port}: {output}");
        }
    }

    public Task DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            _server.WaitForExit(5000);
        }
        _server?.Dispose();
        _server = null;
        return Task.CompletedTask;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConsentService.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("ConsentService.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task RunToEndAsync(string file, string arguments, string folder, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {await stdout}{await stderr}");
    }
}

/// <summary>Every test class that needs the Cosmos test server joins this collection, so one server serves the assembly.</summary>
[CollectionDefinition(Name)]
public sealed class CosmosServerCollection : ICollectionFixture<CosmosServerFixture>
{
    public const string Name = "Cosmos test server";
}
