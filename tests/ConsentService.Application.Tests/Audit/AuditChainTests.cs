using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using ConsentService.Application.Audit;

namespace ConsentService.Application.Tests.Audit;

/// <summary>The chain hash is the documented formula (docs/audit.md), computed here independently, step by step.</summary>
public sealed class AuditChainTests
{
    private static string Reference(string previousHash, long sequence, string id, DateTimeOffset recorded, string json)
    {
        var message = new List<byte>();
        message.AddRange(Convert.FromHexString(previousHash));
        var number = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(number, sequence);
        message.AddRange(number);
        foreach (var text in new[] { id, null, json })
        {
            if (text is null)
            {
                BinaryPrimitives.WriteInt64BigEndian(number, recorded.UtcTicks);
                message.AddRange(number);
                continue;
            }
            var bytes = Encoding.UTF8.GetBytes(text);
            var length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
            message.AddRange(length);
            message.AddRange(bytes);
        }
        return Convert.ToHexStringLower(SHA256.HashData(message.ToArray()));
    }

    [Theory]
    [InlineData(1L, "a", "{}")]
    [InlineData(42L, "0196f2a0-7c1e-7d2b-9a4e-1f2e3d4c5b6a", """{"resourceType":"AuditEvent","outcomeDesc":"Zürich — 病院"}""")]
    [InlineData(long.MaxValue, "", "")]
    public void Hash_is_sha256_over_the_length_prefixed_fields(long sequence, string id, string json)
    {
        var recorded = new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
        var previous = Convert.ToHexStringLower(SHA256.HashData("previous"u8));
        Assert.Equal(Reference(previous, sequence, id, recorded, json), AuditChain.Hash(previous, sequence, id, recorded, json));
        Assert.Equal(Reference(AuditChain.Genesis, sequence, id, recorded, json), AuditChain.Hash(AuditChain.Genesis, sequence, id, recorded, json));
        var big = new string('x', 100_000);
        Assert.Equal(Reference(previous, sequence, id, recorded, big), AuditChain.Hash(previous, sequence, id, recorded, big));
    }

    [Fact]
    public void A_malformed_previous_hash_is_refused()
    {
        Assert.Throws<ArgumentException>(() => AuditChain.Hash("abc", 1, "a", DateTimeOffset.UnixEpoch, "{}"));
    }
}
