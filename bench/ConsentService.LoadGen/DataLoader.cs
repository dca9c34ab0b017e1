using System.Diagnostics;
using System.Threading.Channels;

namespace ConsentService.LoadGen;

/// <summary>One synthetic patient: its consent (if any) and its studies' UIDs.</summary>
public sealed record PatientGroup(long Index, string PatientId, Synthetic.ConsentKind Consent, string[] StudyUids)
{
    public string PatientReference => "Patient/" + PatientId;
}

/// <summary>What a load did: resources stored, how long it took, or why it could not run.</summary>
public sealed record LoadOutcome(string Status, long Resources, long Studies, long Consents, int Bundles, double Seconds, string? Message,
    bool StoppedAtDeadline = false)
{
    public double PerSecond => Seconds > 0 ? Resources / Seconds : 0;
}

/// <summary>Loads synthetic patients through the public API: transaction bundles at <c>POST /fhir</c> when the
/// service has them, else one <c>POST /fhir/{type}</c> per resource.</summary>
public sealed class DataLoader(ServiceClient client)
{
    private const string FhirJson = "application/fhir+json";

    /// <param name="set">Names the patients ("seed-12"); <paramref name="uidBranch"/> keeps each set's UIDs apart.</param>
    public static IEnumerable<PatientGroup> Groups(string set, int uidBranch, long studies, int perPatient)
    {
        long made = 0;
        for (long p = 0; made < studies; p++)
        {
            var count = (int)Math.Min(perPatient, studies - made);
            var uids = new string[count];
            for (var s = 0; s < count; s++) uids[s] = Synthetic.StudyUid(uidBranch, p, s);
            made += count;
            yield return new PatientGroup(p, $"{set}-{p}", Synthetic.ConsentOf(p), uids);
        }
    }

    /// <summary>Bundles of up to <paramref name="maxEntries"/> entries, <paramref name="concurrency"/> in flight
    /// while the next ones are generated. The first bundle is sent alone: a 404/405 there means no bundle endpoint.</summary>
    /// <param name="deadline">When it fires no further bundle is generated; those in flight complete, and the
    /// rate is that of what was loaded.</param>
    public async Task<LoadOutcome> BundlesAsync(IEnumerable<PatientGroup> groups, int maxEntries, int concurrency, Action<string>? progress,
        CancellationToken ct, CancellationToken deadline = default)
    {
        var stoppedAtDeadline = false;
        var clock = Stopwatch.StartNew();
        long resources = 0, studies = 0, consents = 0;
        var bundles = 0;
        string? failure = null;
        var missing = false;
        var channel = Channel.CreateBounded<(byte[] Body, int Entries, int Studies)>(Math.Max(1, concurrency));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);

        async Task SendAsync(byte[] body, int entries, int studyCount)
        {
            using var response = await client.PostAsync("fhir", body, FhirJson, cancel.Token);
            if (!response.IsSuccessStatusCode)
            {
                missing = ServiceClient.IsMissing(response.StatusCode);
                failure ??= $"POST /fhir answered {(int)response.StatusCode}: {await ServiceClient.Snippet(response)}";
                cancel.Cancel();
                return;
            }
            Interlocked.Add(ref resources, entries);
            Interlocked.Add(ref studies, studyCount);
            Interlocked.Add(ref consents, entries - studyCount);
            var done = Interlocked.Increment(ref bundles);
            if (done % 10 == 0) progress?.Invoke($"  {done} bundles, {Interlocked.Read(ref resources):N0} resources, {Interlocked.Read(ref resources) / clock.Elapsed.TotalSeconds:N0}/s");
        }

        async Task SendAllAsync()
        {
            try
            {
                await foreach (var (body, entries, studyCount) in channel.Reader.ReadAllAsync(cancel.Token))
                    await SendAsync(body, entries, studyCount);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested) { }
        }

        // The first bundle goes alone: a 404/405 there means the service has no bundle endpoint (yet).
        Task[]? senders = null;
        async Task DispatchAsync(byte[] body, int entries, int studyCount)
        {
            if (senders is null)
            {
                await SendAsync(body, entries, studyCount);
                cancel.Token.ThrowIfCancellationRequested();
                senders = Enumerable.Range(0, Math.Max(1, concurrency)).Select(_ => Task.Run(SendAllAsync)).ToArray();
                return;
            }
            await channel.Writer.WriteAsync((body, entries, studyCount), cancel.Token);
        }

        try
        {
            var writer = new BundleWriter();
            var studyCount = 0;
            foreach (var group in groups)
            {
                if (deadline.IsCancellationRequested)
                {
                    stoppedAtDeadline = true;
                    break;
                }
                var needed = group.StudyUids.Length + (group.Consent == Synthetic.ConsentKind.None ? 0 : 1);
                if (writer.Count > 0 && writer.Count + needed > maxEntries)
                {
                    await DispatchAsync(writer.Finish(), writer.Count, studyCount);
                    writer.Dispose();
                    writer = new BundleWriter();
                    studyCount = 0;
                }
                AddGroup(writer, group);
                studyCount += group.StudyUids.Length;
            }
            if (writer.Count > 0) await DispatchAsync(writer.Finish(), writer.Count, studyCount);
            writer.Dispose();
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested && !ct.IsCancellationRequested) { }
        channel.Writer.TryComplete();
        if (senders is not null) await Task.WhenAll(senders);
        clock.Stop();
        var status = failure is null ? "ok" : missing && bundles == 0 ? "missing" : "error";
        return new LoadOutcome(status, resources, studies, consents, bundles, clock.Elapsed.TotalSeconds, failure, stoppedAtDeadline);
    }

    /// <summary>The fallback: one create per resource, <paramref name="concurrency"/> at a time.</summary>
    public async Task<LoadOutcome> OneByOneAsync(IEnumerable<PatientGroup> groups, int concurrency, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        long resources = 0, studies = 0, consents = 0;
        string? failure = null;
        await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (group, token) =>
        {
            if (group.Consent != Synthetic.ConsentKind.None)
            {
                var body = Synthetic.Json(w => Synthetic.WriteConsent(w, group.PatientReference, group.PatientId, group.Consent));
                if (await PostOneAsync("fhir/Consent", body, token) is { } error) { failure ??= error; return; }
                Interlocked.Increment(ref consents);
                Interlocked.Increment(ref resources);
            }
            for (var s = 0; s < group.StudyUids.Length; s++)
            {
                var uid = group.StudyUids[s];
                var body = Synthetic.Json(w => Synthetic.WriteStudy(w, group.PatientReference, uid, group.Index * 64 + s));
                if (await PostOneAsync("fhir/ImagingStudy", body, token) is { } error) { failure ??= error; return; }
                Interlocked.Increment(ref studies);
                Interlocked.Increment(ref resources);
            }
        });
        return new LoadOutcome(failure is null ? "ok" : "error", resources, studies, consents, 0, clock.Elapsed.TotalSeconds, failure);
    }

    private async Task<string?> PostOneAsync(string path, byte[] body, CancellationToken ct)
    {
        using var response = await client.PostAsync(path, body, FhirJson, ct);
        return response.IsSuccessStatusCode ? null : $"POST /{path} answered {(int)response.StatusCode}: {await ServiceClient.Snippet(response)}";
    }

    private static void AddGroup(BundleWriter writer, PatientGroup group)
    {
        if (group.Consent != Synthetic.ConsentKind.None)
        {
            writer.Add("Consent", Synthetic.ConsentIdentifierQuery(group.PatientId),
                w => Synthetic.WriteConsent(w, group.PatientReference, group.PatientId, group.Consent));
        }
        for (var s = 0; s < group.StudyUids.Length; s++)
        {
            var uid = group.StudyUids[s];
            var mix = group.Index * 64 + s;
            writer.Add("ImagingStudy", $"identifier=urn:dicom:uid|urn:oid:{uid}", w => Synthetic.WriteStudy(w, group.PatientReference, uid, mix));
        }
    }
}
