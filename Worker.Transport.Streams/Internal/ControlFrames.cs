using System.Buffers;
using Google.Protobuf;
using Grpc.Core;

namespace Aion.Worker.Transport.Streams.Internal;

/// <summary>
/// The payloads of the transport's own frames, in protobuf wire format:
/// <c>Hello { uint32 version = 1; repeated string namespaces = 2; string subject = 3; optional string bearer_token = 4; }</c>
/// and <c>End { int32 code = 1; string detail = 2; }</c> (a gRPC status). Unknown fields are skipped.
/// </summary>
/// <remarks>Once per connection, so these may allocate.</remarks>
internal static class ControlFrames
{
    private const int VersionField = 1;
    private const int NamespacesField = 2;
    private const int SubjectField = 3;
    private const int BearerTokenField = 4;
    private const int CodeField = 1;
    private const int DetailField = 2;

    public static byte[] EncodeHello(WorkerSessionMetadata metadata, uint version = StreamFraming.ProtocolVersion)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        output.WriteTag(VersionField, WireFormat.WireType.Varint);
        output.WriteUInt32(version);
        foreach (var name in metadata.Namespaces)
        {
            output.WriteTag(NamespacesField, WireFormat.WireType.LengthDelimited);
            output.WriteString(name);
        }

        output.WriteTag(SubjectField, WireFormat.WireType.LengthDelimited);
        output.WriteString(metadata.Subject);
        if (metadata.BearerToken is { } token)
        {
            output.WriteTag(BearerTokenField, WireFormat.WireType.LengthDelimited);
            output.WriteString(token);
        }

        output.Flush();
        return buffer.ToArray();
    }

    /// <summary>Decodes a hello payload.</summary>
    /// <exception cref="InvalidProtocolBufferException">The payload is not a hello message.</exception>
    public static (uint Version, WorkerSessionMetadata Metadata) DecodeHello(in ReadOnlySequence<byte> payload)
    {
        var input = new CodedInputStream(payload.ToArray());
        uint version = 0;
        List<string> namespaces = [];
        var subject = string.Empty;
        string? token = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case (VersionField << 3) | (uint)WireFormat.WireType.Varint:
                    version = input.ReadUInt32();
                    break;
                case (NamespacesField << 3) | (uint)WireFormat.WireType.LengthDelimited:
                    namespaces.Add(input.ReadString());
                    break;
                case (SubjectField << 3) | (uint)WireFormat.WireType.LengthDelimited:
                    subject = input.ReadString();
                    break;
                case (BearerTokenField << 3) | (uint)WireFormat.WireType.LengthDelimited:
                    token = input.ReadString();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return (version, new WorkerSessionMetadata(namespaces, subject, token));
    }

    public static byte[] EncodeEnd(Status status)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        if (status.StatusCode != StatusCode.OK)
        {
            output.WriteTag(CodeField, WireFormat.WireType.Varint);
            output.WriteInt32((int)status.StatusCode);
        }

        if (!string.IsNullOrEmpty(status.Detail))
        {
            output.WriteTag(DetailField, WireFormat.WireType.LengthDelimited);
            output.WriteString(status.Detail);
        }

        output.Flush();
        return buffer.ToArray();
    }

    /// <summary>Decodes an end payload.</summary>
    /// <exception cref="InvalidProtocolBufferException">The payload is not an end message.</exception>
    public static Status DecodeEnd(in ReadOnlySequence<byte> payload)
    {
        var input = new CodedInputStream(payload.ToArray());
        var code = 0;
        var detail = string.Empty;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case (CodeField << 3) | (uint)WireFormat.WireType.Varint:
                    code = input.ReadInt32();
                    break;
                case (DetailField << 3) | (uint)WireFormat.WireType.LengthDelimited:
                    detail = input.ReadString();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return new Status((StatusCode)code, detail);
    }
}
