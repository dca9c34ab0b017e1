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
/// <item>json: the stored AuditEvent JSON in UTF-8 (the canonical form: the service writes it once and the store
/// keeps it byte for byte), preceded by its byte length (4 bytes big-endian).</item>
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
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> previous = stackalloc byte[32];
        if (!TryDecode(previousHash, previous))
        {
            throw new ArgumentException("A chain hash is 64 hex digits.", nameof(previousHash));
        }
        sha.AppendData(previous);
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(number, sequence);
        sha.AppendData(number);
        AppendText(sha, id);
        BinaryPrimitives.WriteInt64BigEndian(number, recorded.UtcTicks);
        sha.AppendData(number);
        AppendText(sha, json);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Whether <paramref name="hash"/> is a well-formed chain hash (64 hex digits).</summary>
    public static bool IsHash(string? hash)
    {
        Span<byte> bytes = stackalloc byte[32];
        return hash is not null && TryDecode(hash, bytes);
    }

    private static void AppendText(IncrementalHash sha, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        sha.AppendData(length);
        sha.AppendData(bytes);
    }

    private static bool TryDecode(string hex, Span<byte> into) =>
        hex.Length == 64 && Convert.FromHexString(hex, into, out _, out var written) == System.Buffers.OperationStatus.Done && written == 32;
}
