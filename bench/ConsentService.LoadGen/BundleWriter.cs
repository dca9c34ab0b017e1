using System.Buffers;
using System.Text.Json;

namespace ConsentService.LoadGen;

/// <summary>Writes one FHIR R4 transaction Bundle of POST entries (conditional create through ifNoneExist).</summary>
public sealed class BundleWriter : IDisposable
{
    private readonly ArrayBufferWriter<byte> buffer = new(1 << 20);
    private readonly Utf8JsonWriter writer;

    public BundleWriter()
    {
        writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        writer.WriteString("resourceType", "Bundle");
        writer.WriteString("type", "transaction");
        writer.WriteStartArray("entry");
    }

    public int Count { get; private set; }

    public void Add(string resourceType, string ifNoneExist, Action<Utf8JsonWriter> resource)
    {
        writer.WriteStartObject();
        writer.WriteString("fullUrl", "urn:uuid:" + Guid.NewGuid());
        writer.WritePropertyName("resource");
        resource(writer);
        writer.WriteStartObject("request");
        writer.WriteString("method", "POST");
        writer.WriteString("url", resourceType);
        writer.WriteString("ifNoneExist", ifNoneExist);
        writer.WriteEndObject();
        writer.WriteEndObject();
        Count++;
    }

    public byte[] Finish()
    {
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public void Dispose() => writer.Dispose();
}
