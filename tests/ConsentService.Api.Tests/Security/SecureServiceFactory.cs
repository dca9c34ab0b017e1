using System.Collections.Concurrent;
using System.Net.Http.Headers;
using ConsentService.Application.Ports;
using ConsentService.Application.Security;
using Hl7.Fhir.Rest;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConsentService.Api.Tests.Security;

/// <summary>
/// The service as deployed: Production environment, HS256 tokens with issuer and audience enforced. Counts audit
/// records (so a test can prove a refused decision recorded nothing), records refused accesses through the
/// <see cref="IAccessRefusalSink"/> hook, and captures every log line at Trace level.
/// </summary>
public class SecureServiceFactory : ConsentServiceFactory
{
    public const string Issuer = "https://auth.test.example/realms/hospital";
    public const string Audience = "consent-service";
    public const string SigningKey = "test-signing-key-of-at-least-32-bytes-0123456789";

    protected override string Environment => "Production";

    public ConcurrentQueue<AccessRefusal> Refusals { get; } = new();

    public CapturedLogs Logs { get; } = new();

    public int AuditRecords => _auditCount.Count;

    private readonly AuditCount _auditCount = new();

    /// <summary>Settings on top of the secure defaults (e.g. a low rate limit).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Auth:SigningKey", SigningKey);
        builder.UseSetting("Auth:Issuer", Issuer);
        builder.UseSetting("Auth:Audience", Audience);
        builder.UseSetting("Logging:LogLevel:Default", "Trace");
        builder.UseSetting("Logging:LogLevel:Microsoft", "Trace");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Trace");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.ConfigureTestServices(services =>
        {
            if (CaptureRefusals)
            {
                services.AddSingleton<IAccessRefusalSink>(new RecordingSink(Refusals));
            }
            var audit = services.Last(d => d.ServiceType == typeof(IAuditLog));
            services.Remove(audit);
            services.AddSingleton<IAuditLog>(provider => new CountingAuditLog(Resolve(provider, audit), _auditCount));
        });
    }

    private static IAuditLog Resolve(IServiceProvider provider, ServiceDescriptor descriptor) =>
        (IAuditLog)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(provider)
            ?? ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!));

    public HttpClient Client(TestToken? token) => Client(token?.Build());

    public HttpClient Client(string? bearer)
    {
        var http = CreateClient();
        if (bearer is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return http;
    }

    /// <summary>A FhirClient with an all-powerful integration token, for seeding.</summary>
    public FhirClient AdminFhirClient() =>
        new(new Uri(Server.BaseAddress, "fhir/"), Client(TestToken.Admin), new FhirClientSettings
        {
            PreferredFormat = ResourceFormat.Json,
            ReturnPreference = ReturnPreference.Representation,
        });

    /// <summary>How many versions of <paramref name="type"/> the store holds (deletes included).</summary>
    public async Task<int> StoredVersionsAsync(string type)
    {
        var store = Services.GetRequiredService<IResourceStore>();
        var page = await store.HistoryAsync(type, null, new HistoryQuery(0), CancellationToken.None);
        return page.Total;
    }

    /// <summary>True: refusals go to <see cref="Refusals"/> (and not to the audit trail); false: the service's own
    /// sink records them in the audit trail.</summary>
    protected virtual bool CaptureRefusals => true;

    private sealed class RecordingSink(ConcurrentQueue<AccessRefusal> refusals) : IAccessRefusalSink
    {
        public ValueTask RecordAsync(AccessRefusal refusal, CancellationToken ct)
        {
            refusals.Enqueue(refusal);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class AuditCount
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add(int n) => Interlocked.Add(ref _count, n);
    }

    private sealed class CountingAuditLog(IAuditLog inner, AuditCount count) : IAuditLog
    {
        public async System.Threading.Tasks.Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct)
        {
            await inner.AppendAsync(records, ct);
            count.Add(records.Count);
        }

        public Task<AuditRecord?> ReadAsync(string id, CancellationToken ct) => inner.ReadAsync(id, ct);

        public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct) => inner.SearchAsync(query, ct);

        public Task<IReadOnlyList<string>> ChainsAsync(CancellationToken ct) => inner.ChainsAsync(ct);

        public Task<bool> IsWritableAsync(CancellationToken ct) => inner.IsWritableAsync(ct);

        public Task<IReadOnlyList<ChainedAuditRecord>> ReadChainAsync(string chain, long afterSequence, int limit, CancellationToken ct) =>
            inner.ReadChainAsync(chain, afterSequence, limit, ct);
    }
}

/// <summary>Every log line the service writes, with its category and rendered message and exception.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Text)> _lines = new();

    public IReadOnlyList<(string Category, LogLevel Level, string Text)> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : "";
            lines.Enqueue((category, logLevel, $"{formatter(state, exception)} {structured} {exception}"));
        }
    }
}
