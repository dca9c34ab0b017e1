using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using ConsentService.Domain.Fhir;

namespace ConsentService.Infrastructure.Sqlite;

/// <summary>
/// A row's search index entries as the index-table rows they become (table, parameter, two values), packed into
/// bytes: UTF-8 text (what SQLite binds) with the few strings every audit row repeats (parameter names, code systems,
/// reference types, fixed codes) as one-byte codes. <see cref="SqliteIndexTables"/> writes every entry from this
/// form, and the audit index keeps its waiting rows in it: as objects (an entry record, its strings, the list) a
/// decision's fifteen entries take an estimated 1.5-2 KB of heap in sixteen objects; packed, about 250 bytes in one array.
/// This matters when the index lags (a cohort decides faster than the index file takes entries, and every waiting row is
/// held in memory until it is written).
/// </summary>
internal static class PackedIndexEntries
{
    public const byte Token = 0, Reference = 1, Date = 2, String = 3;

    // Codes 1..255 stand for these strings; 0 means the UTF-8 text follows (varint length, bytes). Appending keeps
    // existing codes (nothing packed is stored: the form lives in memory only, so the table may change freely).
    private static readonly string[] Known =
    [
        // AuditEvent search parameters, and the codes, systems and reference types of the events this service writes
        "", "type", "subtype", "action", "outcome", "agent", "entity", "patient", "source", "date",
        AuditEventParts.DecisionDetail, AuditEventParts.Dcm, AuditEventParts.AuditEventType, AuditEventParts.RestfulInteraction,
        AuditEventParts.BalpAuthZSubtype, AuditEventParts.SecurityAlert, AuditEventParts.Export, AuditEventParts.AuthZConsent,
        "rest", "read", "vread", "create", "update", "delete", "search-type", "history-instance", "E", "R", "C", "U", "D",
        "0", "4", "8", "permit", "deny", StudyUidKey.DicomUidSystem, "Patient", "Device", "Organization", "Practitioner",
        "Consent", "ImagingStudy", "consent-service",
        // frequent resource search parameters
        "identifier", "status", "subject", "started", "modality", "bodysite", "scope", "category", "period",
    ];

    private static readonly Dictionary<string, byte> Codes = BuildCodes();

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private static Dictionary<string, byte> BuildCodes()
    {
        if (Known.Length > 255)
            throw new InvalidOperationException("At most 255 known strings fit one-byte codes.");
        var codes = new Dictionary<string, byte>(StringComparer.Ordinal);
        for (var i = 0; i < Known.Length; i++)
            codes.Add(Known[i], (byte)(i + 1));
        return codes;
    }

    /// <summary>The entries packed into a new array (kept by the caller, e.g. while a row waits for its index batch).</summary>
    public static byte[] Pack(IReadOnlyList<SearchIndexEntry> entries)
    {
        var buffer = Packed(entries);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The entries packed into this thread's buffer, valid until the thread packs again.</summary>
    public static ReadOnlySpan<byte> PackTransient(IReadOnlyList<SearchIndexEntry> entries) => Packed(entries).WrittenSpan;

    private static ArrayBufferWriter<byte> Packed(IReadOnlyList<SearchIndexEntry> entries)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        foreach (var entry in entries)
        {
            switch (entry.Type)
            {
                case SearchParamType.Token:
                    Head(buffer, Token, entry.Parameter);
                    Text(buffer, entry.System ?? "");
                    Text(buffer, entry.Value ?? "");
                    break;
                case SearchParamType.Reference when entry.Value is not null:
                    var (refType, refId) = IndexValues.SplitReference(entry.Value);
                    Head(buffer, Reference, entry.Parameter);
                    Text(buffer, refType);
                    Text(buffer, refId);
                    break;
                case SearchParamType.Date:
                    Head(buffer, Date, entry.Parameter);
                    Number(buffer, (entry.Low ?? DateTimeOffset.MinValue).UtcTicks);
                    Number(buffer, (entry.High ?? DateTimeOffset.MaxValue).UtcTicks);
                    break;
                case SearchParamType.String when entry.Value is not null:
                    Head(buffer, String, entry.Parameter);
                    Text(buffer, entry.Value);
                    break;
                // a reference or string entry without a value indexes nothing
            }
        }
        return buffer;
    }

    private static void Head(ArrayBufferWriter<byte> buffer, byte table, string parameter)
    {
        buffer.GetSpan(1)[0] = table;
        buffer.Advance(1);
        Text(buffer, parameter);
    }

    private static void Text(ArrayBufferWriter<byte> buffer, string text)
    {
        if (Codes.TryGetValue(text, out var code))
        {
            buffer.GetSpan(1)[0] = code;
            buffer.Advance(1);
            return;
        }
        var length = Encoding.UTF8.GetByteCount(text);
        var span = buffer.GetSpan(1 + 5 + length);
        span[0] = 0;
        var at = 1;
        for (var rest = (uint)length; ; rest >>= 7)
        {
            if (rest < 0x80)
            {
                span[at++] = (byte)rest;
                break;
            }
            span[at++] = (byte)(rest | 0x80);
        }
        at += Encoding.UTF8.GetBytes(text, span[at..]);
        buffer.Advance(at);
    }

    private static void Number(ArrayBufferWriter<byte> buffer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    /// <summary>Reads packed entries one at a time.</summary>
    public ref struct Reader(ReadOnlySpan<byte> packed)
    {
        private ReadOnlySpan<byte> _rest = packed;

        /// <summary>The next entry's table (<see cref="Token"/> .. <see cref="String"/>), or false at the end. Read its
        /// parameter with <see cref="NextText"/>, then its values: two texts (token: system, value; reference: type,
        /// id), two numbers (date: low, high) or one text (string).</summary>
        public bool NextEntry(out byte table)
        {
            if (_rest.IsEmpty)
            {
                table = 0;
                return false;
            }
            table = _rest[0];
            _rest = _rest[1..];
            return true;
        }

        public ReadOnlySpan<byte> NextText()
        {
            var code = _rest[0];
            if (code != 0)
            {
                _rest = _rest[1..];
                return KnownUtf8[code - 1];
            }
            var at = 1;
            var length = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = _rest[at++];
                length |= (b & 0x7F) << shift;
                if (b < 0x80)
                    break;
            }
            var text = _rest.Slice(at, length);
            _rest = _rest[(at + length)..];
            return text;
        }

        public long NextNumber()
        {
            var value = BinaryPrimitives.ReadInt64LittleEndian(_rest);
            _rest = _rest[8..];
            return value;
        }
    }

    private static readonly byte[][] KnownUtf8 = Known.Select(Encoding.UTF8.GetBytes).ToArray();
}
