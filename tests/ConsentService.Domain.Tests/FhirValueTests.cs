using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;

namespace ConsentService.Domain.Tests;

public class FhirDateRangeTests
{
    [Theory]
    [InlineData("2024-02", "2024-02-01T00:00:00Z", "2024-02-29T23:59:59.9999999Z")]
    [InlineData("2023-02", "2023-02-01T00:00:00Z", "2023-02-28T23:59:59.9999999Z")]
    [InlineData("2020-12-31", "2020-12-31T00:00:00Z", "2020-12-31T23:59:59.9999999Z")]
    [InlineData("2020-12-31T23:30:00-01:00", "2021-01-01T00:30:00Z", "2021-01-01T00:30:00.9999999Z")]
    [InlineData("2020-01-01T00:00:00.123456789Z", "2020-01-01T00:00:00.1234567Z", "2020-01-01T00:00:00.1234567Z")]
    public void Ranges(string text, string low, string high)
    {
        Assert.True(FhirDateRange.TryParse(text, out var l, out var h));
        Assert.Equal((DateTimeOffset.Parse(low), DateTimeOffset.Parse(high)), (l, h));
        Assert.Equal(TimeSpan.Zero, l.Offset);
    }

    [Fact]
    public void The_last_year_ends_at_max_value()
    {
        Assert.True(FhirDateRange.TryParse("9999", out _, out var year));
        Assert.True(FhirDateRange.TryParse("9999-12", out _, out var month));
        Assert.True(FhirDateRange.TryParse("9999-12-31", out _, out var day));
        Assert.Equal([DateTimeOffset.MaxValue, DateTimeOffset.MaxValue, DateTimeOffset.MaxValue], new[] { year, month, day });
    }

    [Theory]
    [InlineData("")]
    [InlineData("0000")]
    [InlineData("2020-1")]
    [InlineData("2020-01-01T")]
    [InlineData("2020-01-01T10")]
    [InlineData("2020-01-01T10:00:00.Z")]
    [InlineData("2020-01-01T10:00:00+0100")]
    [InlineData("2020-01-01 10:00:00Z")]
    [InlineData("2020-01-01T10:60:00Z")]
    public void Invalid_text(string text) => Assert.False(FhirDateRange.TryParse(text, out _, out _));

    [Theory]
    [InlineData("2024")]
    [InlineData("2024-02")]
    [InlineData("2024-02-29")]
    [InlineData("2024-02-29T10:00+02:00")]
    [InlineData("2024-02-29T10:00:00Z")]
    [InlineData("2024-02-29T10:00:00.5-05:00")]
    [InlineData("9999-12-31")]
    public void Search_high_is_the_last_tick_of_the_engine_range(string text)
    {
        Assert.True(FhirDateRange.TryParse(text, out InstantRange range));
        Assert.True(FhirDateRange.TryParse(text, out var low, out var high));
        Assert.Equal((range.Start, range.High), (low, high));
        Assert.True(range.Contains(high));
        Assert.False(range.Contains(low.AddTicks(-1)));
    }

    [Fact]
    public void A_time_without_offset_is_utc_not_local_time()
    {
        Assert.True(FhirDateRange.TryParse("2024-01-01T10:00:00", out InstantRange range));
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 10, 0, 0, TimeSpan.Zero), range.Start);
    }

    [Theory]
    [InlineData(" 2024")]
    [InlineData("2024-02-30")]
    [InlineData("2024-01-01T10:00:00+15:00")]
    public void Unreadable_period_bounds_make_an_unreadable_period(string bound)
    {
        Assert.True(InstantRange.FromPeriod(bound, null)!.Value.IsUnreadable);
        Assert.True(InstantRange.FromPeriod("2020", bound)!.Value.IsUnreadable);
        Assert.False(InstantRange.Unreadable.Contains(new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Null(InstantRange.FromPeriod(null, ""));
        Assert.Equal(new InstantRange(DateTimeOffset.MinValue, new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero)), InstantRange.FromPeriod(null, "2020"));
    }
}

public class FhirReferenceTests
{
    [Theory]
    [InlineData("Patient/p1", "Patient", "Patient/p1")]
    [InlineData("Patient/p1/_history/7", "Patient", "Patient/p1")]
    [InlineData("http://a.example/fhir/R4/Organization/o.1", "Organization", "Organization/o.1")]
    [InlineData("https://a.example/Organization/o-1/_history/2", "Organization", "Organization/o-1")]
    public void Normalises(string reference, string type, string typeAndId)
    {
        Assert.True(FhirReferences.TryNormalize(reference, out var t, out var ti));
        Assert.Equal((type, typeAndId), (t, ti));
    }

    [Theory]
    [InlineData("#contained")]
    [InlineData("urn:uuid:0b0b3f4c-9c9d-4a35-9b1e-1d2f3a4b5c6d")]
    [InlineData("p1")]
    [InlineData("patient/p1")]
    [InlineData("Patient/p_1")]
    [InlineData("ftp://x/Patient/p1")]
    [InlineData("Patient/p1/_history/")]
    [InlineData("Patient/p1/_history/x_1")]
    [InlineData("a/b/Patient/p1")]
    public void Rejects(string reference) => Assert.False(FhirReferences.TryNormalize(reference, out _, out _));

    [Theory]
    [InlineData(" Patient/1 ", "Patient/1")]
    [InlineData("http://h/fhir/Patient/1/_history/2", "Patient/1")]
    [InlineData("ftp://h/Patient/1", null)]
    [InlineData("urn:uuid:0b0b3f4c-9c9d-4a35-9b1e-1d2f3a4b5c6d", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Matcher_keys_are_normalised_references_or_nothing(string? reference, string? key) =>
        Assert.Equal(key, FhirReferences.NormaliseLiteral(reference));
}

public class StudyUidKeyTests
{
    [Fact]
    public void Keys_are_bare_distinct_uids_of_dicom_identifiers()
    {
        var study = new ImagingStudy
        {
            Identifier =
            [
                new Identifier("urn:dicom:uid", "urn:oid:1.2.840.113619.2.1"),
                new Identifier("urn:dicom:uid", "1.2.840.113619.2.1"),
                new Identifier("urn:dicom:uid", "2.25.7"),
                new Identifier("http://pacs.example/accession", "1.2.3"),
                new Identifier("urn:dicom:uid", "urn:oid:1.02.3"),
            ],
        };
        Assert.Equal(["1.2.840.113619.2.1", "2.25.7"], StudyUidKey.For(study));
        Assert.Empty(StudyUidKey.For(new ImagingStudy()));
    }

    [Theory]
    [InlineData("1.2.3", true)]
    [InlineData("0.1", true)]
    [InlineData("1..2", false)]
    [InlineData("1.2.", false)]
    [InlineData("1.02", false)]
    [InlineData("1.2a", false)]
    [InlineData("", false)]
    [InlineData("2", true)]
    [InlineData("2.0.25", true)]
    [InlineData("3.1", false)]
    [InlineData("12.3", false)]
    [InlineData("01.2", false)]
    public void Uid_syntax(string uid, bool valid) => Assert.Equal(valid, StudyUidKey.IsValidUid(uid));

    [Theory]
    [InlineData("urn:oid:1.2.3", "1.2.3")]
    [InlineData("URN:OID:1.2.3", "1.2.3")]
    [InlineData("1.2.3", "1.2.3")]
    [InlineData(" 1.2.3", null)]
    [InlineData("urn:oid:", null)]
    [InlineData("urn:uuid:1.2.3", null)]
    [InlineData(null, null)]
    public void Normalises_both_spellings_and_rejects_the_rest(string? value, string? uid)
    {
        Assert.Equal(uid is not null, StudyUidKey.TryNormalize(value, out var bare));
        Assert.Equal(uid ?? string.Empty, bare);
    }

    [Fact]
    public void Uids_longer_than_64_characters_are_invalid()
    {
        Assert.True(StudyUidKey.IsValidUid("1." + new string('1', 62)));
        Assert.False(StudyUidKey.IsValidUid("1." + new string('1', 63)));
    }
}
