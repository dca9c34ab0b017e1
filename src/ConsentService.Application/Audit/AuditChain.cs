using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ConsentService.Application.Audit;

/// <summary>
/// The hash chain of the audit trail, the same for every store. Each record's hash is
/// <c>SHA-256(previousHash || seq || id || recorded || json)</c> where
/// <list type="bullet">
/// <item>previousHash: the 32 bytes of the previous record's hash on the same chain (32 zero bytes for the first);</item>
/// <item>seq: the record's position on its chain, 8 bytes big-endian;</item>
/// <item>id: the AuditEvent id in UTF-8, preceded by its byte length (4 bytes big-endian);</item>
/// <item>recorded: the record time as UTC ticks (100 ns since 0001-01-01), 8 bytes big-endian;</item>
/// <item>json: the stored form in UTF-8 (the FHIR AuditEvent JSON, or a decision's decision record; the service writes
/// it once and the store keeps it byte for byte), preceded by its byte length (4 bytes big-endian).</item>
/// </list>
/// Hashes are written as 64 lower-case hex digits. Length prefixes make the encoding unambiguous.
/// </summary>
public static class AuditChain
{
    /// <summary>The chain of a store with a single writer (SQLite).</summary>
    public const string SingleWriter = "main";

    /// <summary>The "previous hash" of the first record of every chain.</summary>
    public static readonly string Genesis = new('0', 64);

    public static string Hash(string previousHash, long sequence, string id, DateTimeOffset recorded, string json)
    {
        ArgumentNullException.ThrowIfNull(previousHash);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(json);
        // The whole message in one pooled buffer and one SHA256.HashData call: the chain is extended on the single
        // writer for every record, so this is on the serial path of every decision.
        var size = 32 + 8 + 4 + Encoding.UTF8.GetMaxByteCount(id.Length) + 8 + 4 + Encoding.UTF8.GetMaxByteCount(json.Length);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var span = buffer.AsSpan();
            if (!TryDecode(previousHash, span[..32]))
            {
                throw new ArgumentException("A chain hash is 64 hex digits.", nameof(previousHash));
            }
            var at = 32;
            BinaryPrimitives.WriteInt64BigEndian(span[at..], sequence);
            at += 8;
            at = WriteText(span, at, id);
            BinaryPrimitives.WriteInt64BigEndian(span[at..], recorded.UtcTicks);
            at += 8;
            at = WriteText(span, at, json);
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(span[..at], hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes <paramref name="text"/> in UTF-8 at <paramref name="at"/>, preceded by its byte length (4 bytes
    /// big-endian); returns the position after it.</summary>
    private static int WriteText(Span<byte> span, int at, string text)
    {
        var written = Encoding.UTF8.GetBytes(text, span[(at + 4)..]);
        BinaryPrimitives.WriteInt32BigEndian(span[at..], written);
        return at + 4 + written;
    }

    /// <summary>Whether <paramref name="hash"/> is a well-formed chain hash (64 hex digits).</summary>
    public static bool IsHash(string? hash)
    {
        Span<byte> bytes = stackalloc byte[32];
        return hash is not null && TryDecode(hash, bytes);
    }

    private static bool TryDecode(string hex, Span<byte> into) =>
        hex.Length == 64 && Convert.FromHexString(hex, into, out _, out var written) == System.Buffers.OperationStatus.Done && written == 32;
}
