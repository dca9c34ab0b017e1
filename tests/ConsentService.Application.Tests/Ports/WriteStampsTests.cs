using ConsentService.Application.Ports;

namespace ConsentService.Application.Tests;

/// <summary>The stamps in-process decision caches rely on: a copy taken before a write to any key it rests on is
/// no longer current; keys are the resource and, for a Consent, the patient it names (by reference or identifier).</summary>
public sealed class WriteStampsTests
{
    [Fact]
    public void A_copy_stays_current_until_a_key_it_rests_on_is_stamped()
    {
        var stamps = new WriteStamps();
        var before = stamps.Now();
        Assert.True(stamps.IsCurrent(before, "Consent/a"));

        stamps.Stamp(["Consent/a"]);
        Assert.False(stamps.IsCurrent(before, "Consent/a"));
        Assert.True(stamps.IsCurrent(before, "Consent/b"));
        var after = stamps.Now();
        Assert.True(after > before);
        Assert.True(stamps.IsCurrent(after, "Consent/a")); // read after the write: current until the next one

        stamps.Stamp(["Consent/a"]);
        Assert.False(stamps.IsCurrent(after, "Consent/a"));
    }

    [Fact]
    public void Concurrent_stamps_never_lower_a_bucket()
    {
        var stamps = new WriteStamps();
        Parallel.For(0, 10_000, i => stamps.Stamp([$"k{i % 7}"]));
        var now = stamps.Now();
        Assert.Equal(10_000, now);
        for (var k = 0; k < 7; k++)
        {
            Assert.True(stamps.IsCurrent(now, $"k{k}"));
            Assert.False(stamps.IsCurrent(now - 7, $"k{k}")); // each key's last stamp is among the last seven
        }
    }

    [Fact]
    public void A_consent_version_touches_itself_and_the_patient_it_names()
    {
        var keys = WriteStamps.KeysOf("Consent", "c1",
        [
            new SearchIndexEntry("patient", SearchParamType.Reference, null, "Patient/p1"),
            new SearchIndexEntry("patient", SearchParamType.Token, "urn:mrn", "12/34"),
            new SearchIndexEntry("status", SearchParamType.Token, null, "active"),
        ]).ToList();

        Assert.Equal(["Consent/c1", WriteStamps.PatientReferenceKey("Patient/p1"), WriteStamps.PatientIdentifierKey("12/34")], keys);
        // The study side names the same patient the same way (reference id part; identifier value without system).
        Assert.Equal(WriteStamps.PatientReferenceKey("http://example.org/fhir/Patient/p1"), keys[1]);
        Assert.Equal("patient:12/34", keys[2]);
    }

    [Fact]
    public void Other_versions_touch_only_themselves()
    {
        Assert.Equal(["ImagingStudy/s1"], WriteStamps.KeysOf("ImagingStudy", "s1",
            [new SearchIndexEntry("patient", SearchParamType.Reference, null, "Patient/p1")]));
        Assert.Equal(["Consent/c1"], WriteStamps.KeysOf("Consent", "c1", null)); // a delete version
    }
}
