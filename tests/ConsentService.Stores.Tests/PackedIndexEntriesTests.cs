using System.Text;
using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using ConsentService.Infrastructure.Sqlite;
using Xunit;

namespace ConsentService.Stores.Tests;

/// <summary>The packed form of index entries (what the audit index keeps while rows wait, and what every index
/// insert is bound from) reads back as exactly the table rows the entries stand for.</summary>
public sealed class PackedIndexEntriesTests
{
    private static List<(byte Table, string Param, object A, object B)> Unpack(ReadOnlySpan<byte> packed)
    {
        var rows = new List<(byte, string, object, object)>();
        var reader = new PackedIndexEntries.Reader(packed);
        while (reader.NextEntry(out var table))
        {
            var param = Encoding.UTF8.GetString(reader.NextText());
            rows.Add(table switch
            {
                PackedIndexEntries.Date => (table, param, reader.NextNumber(), reader.NextNumber()),
                PackedIndexEntries.String => (table, param, "", Encoding.UTF8.GetString(reader.NextText())),
                _ => (table, param, Encoding.UTF8.GetString(reader.NextText()), Encoding.UTF8.GetString(reader.NextText())),
            });
        }
        return rows;
    }

    [Fact]
    public void Entries_read_back_as_their_table_rows_known_strings_and_others_alike()
    {
        var low = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var high = new DateTimeOffset(2026, 3, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999);
        var longValue = new string('x', 300) + "é"; // a length over one varint byte, and non-ASCII text
        var entries = new SearchIndexEntry[]
        {
            new("type", SearchParamType.Token, AuditEventParts.Dcm, AuditEventParts.SecurityAlert),
            new("outcome", SearchParamType.Token, null, "8"),
            new("agent", SearchParamType.Token, null, "a-client-id"),
            new("entity", SearchParamType.Token, "urn:dicom:uid", "urn:oid:1.2.3.4"),
            new("patient", SearchParamType.Reference, null, "Patient/p-1"),
            new("entity", SearchParamType.Reference, null, "ImagingStudy/0f9e"),
            new("entity", SearchParamType.Reference, null, "no-slash"),
            new("date", SearchParamType.Date, null, null, low, high),
            new("date", SearchParamType.Date, null, null, null, null),
            new("name", SearchParamType.String, null, longValue),
            new("empty", SearchParamType.Token, null, null),
            new("skipped", SearchParamType.Reference, null, null), // nothing to index
            new("skipped", SearchParamType.String, null, null),
            new("", SearchParamType.Token, "", ""),
        };

        var rows = Unpack(PackedIndexEntries.Pack(entries));

        Assert.Equal(
        [
            (PackedIndexEntries.Token, "type", (object)AuditEventParts.Dcm, (object)AuditEventParts.SecurityAlert),
            (PackedIndexEntries.Token, "outcome", "", "8"),
            (PackedIndexEntries.Token, "agent", "", "a-client-id"),
            (PackedIndexEntries.Token, "entity", "urn:dicom:uid", "urn:oid:1.2.3.4"),
            (PackedIndexEntries.Reference, "patient", "Patient", "p-1"),
            (PackedIndexEntries.Reference, "entity", "ImagingStudy", "0f9e"),
            (PackedIndexEntries.Reference, "entity", "", "no-slash"),
            (PackedIndexEntries.Date, "date", low.UtcTicks, high.UtcTicks),
            (PackedIndexEntries.Date, "date", DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks),
            (PackedIndexEntries.String, "name", "", longValue),
            (PackedIndexEntries.Token, "empty", "", ""),
            (PackedIndexEntries.Token, "", "", ""),
        ], rows);
    }

    [Fact]
    public void A_decision_event_packs_into_a_fraction_of_its_entries_text()
    {
        var entries = new SearchIndexEntry[]
        {
            new("type", SearchParamType.Token, AuditEventParts.Dcm, AuditEventParts.SecurityAlert),
            new("subtype", SearchParamType.Token, AuditEventParts.BalpAuthZSubtype, AuditEventParts.AuthZConsent),
            new("action", SearchParamType.Token, null, "E"),
            new("outcome", SearchParamType.Token, null, "0"),
            new("agent", SearchParamType.Reference, null, "Organization/acme-ai"),
            new("agent", SearchParamType.Reference, null, AuditEventParts.ServiceDevice),
            new("source", SearchParamType.Reference, null, AuditEventParts.ServiceDevice),
        };
        var packed = PackedIndexEntries.Pack(entries);
        var text = entries.Sum(e => e.Parameter.Length + (e.System?.Length ?? 0) + (e.Value?.Length ?? 0));

        // the fixed parameters, systems, codes and reference types are one byte each
        Assert.True(packed.Length * 4 < text, $"{packed.Length} bytes packed for {text} characters");
        Assert.Equal(7, Unpack(packed).Count);
    }

    [Fact]
    public void Packing_on_one_thread_again_leaves_an_earlier_array_unchanged()
    {
        var first = PackedIndexEntries.Pack([new SearchIndexEntry("agent", SearchParamType.Token, null, "first")]);
        var copy = first.ToArray();
        _ = PackedIndexEntries.PackTransient([new SearchIndexEntry("agent", SearchParamType.Token, null, "second-and-longer")]);

        Assert.Equal(copy, first);
    }
}
