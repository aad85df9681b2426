using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aion.Worker.Codec;
using Aion.Worker.Protocol;
using Google.Protobuf;

namespace Aion.Worker.Tests.Codec;

public sealed class JsonPayloadCodecTests
{
    private static readonly string[] ParityVectors =
    [
        "null",
        "true",
        "false",
        "0",
        "123.45",
        "\"hello worker\"",
        "\"unicode: café, 東京, 🚀\"",
        """[null,false,7,"item",{"nested":true}]""",
        """{"message":"nested object","count":3,"flags":[true,false],"inner":{"empty":null,"unicode":"snowman ☃"}}""",
    ];

    private static Payload Json(string text, string contentType = JsonPayloadCodec.JsonContentType) =>
        new() { ContentType = contentType, Bytes = ByteString.CopyFrom(text, Encoding.UTF8) };

    private static bool SameJson(string expected, Payload actual) =>
        JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual.Bytes.Span));

    [TestCaseSource(nameof(ParityVectors))]
    public void Parity_vector_round_trips_as_a_json_node(string vector)
    {
        var codec = JsonPayloadCodec.Default;

        var decoded = codec.Decode<JsonNode?>(Json(vector));
        var encoded = codec.Encode(decoded);

        Assert.That(encoded.ContentType, Is.EqualTo("application/json"));
        Assert.That(SameJson(vector, encoded), Is.True, $"{vector} became {encoded.Bytes.ToStringUtf8()}");
        Assert.That(JsonNode.DeepEquals(decoded, codec.Decode<JsonNode?>(encoded)), Is.True);
    }

    [TestCaseSource(nameof(ParityVectors))]
    public void Parity_vector_round_trips_as_a_json_element(string vector)
    {
        var codec = JsonPayloadCodec.Default;

        var decoded = codec.Decode<JsonElement>(Json(vector));
        var encoded = codec.Encode(decoded);

        Assert.That(encoded.ContentType, Is.EqualTo("application/json"));
        Assert.That(SameJson(vector, encoded), Is.True, $"{vector} became {encoded.Bytes.ToStringUtf8()}");
        Assert.That(JsonElement.DeepEquals(decoded, codec.Decode<JsonElement>(encoded)), Is.True);
    }

    private static IEnumerable<TestCaseData> TypedVectors()
    {
        yield return new TestCaseData("null", null).SetArgDisplayNames("null");
        yield return new TestCaseData("true", true).SetArgDisplayNames("true");
        yield return new TestCaseData("false", false).SetArgDisplayNames("false");
        yield return new TestCaseData("0", 0).SetArgDisplayNames("0");
        yield return new TestCaseData("123.45", 123.45).SetArgDisplayNames("123.45");
        yield return new TestCaseData("\"hello worker\"", "hello worker").SetArgDisplayNames("ascii string");
        yield return new TestCaseData("\"unicode: café, 東京, 🚀\"", "unicode: café, 東京, 🚀").SetArgDisplayNames("unicode string");
    }

    [TestCaseSource(nameof(TypedVectors))]
    public void Typed_values_encode_to_the_parity_vector_and_decode_back_equal(string vector, object? value)
    {
        var codec = JsonPayloadCodec.Default;

        var encoded = value switch
        {
            null => codec.Encode<string?>(null),
            bool b => codec.Encode(b),
            int i => codec.Encode(i),
            double d => codec.Encode(d),
            string s => codec.Encode(s),
            _ => throw new ArgumentOutOfRangeException(nameof(value)),
        };

        Assert.That(encoded.ContentType, Is.EqualTo("application/json"));
        Assert.That(SameJson(vector, encoded), Is.True, encoded.Bytes.ToStringUtf8());
        object? decoded = value switch
        {
            null => codec.Decode<string?>(Json(vector)),
            bool => codec.Decode<bool>(Json(vector)),
            int => codec.Decode<int>(Json(vector)),
            double => codec.Decode<double>(Json(vector)),
            _ => codec.Decode<string>(Json(vector)),
        };
        Assert.That(decoded, Is.EqualTo(value));
    }

    private sealed record Inner(object? Empty, string Unicode);

    private sealed record Nested(string Message, int Count, bool[] Flags, Inner Inner);

    [Test]
    public void Typed_object_encodes_camel_case_to_the_nested_parity_vector()
    {
        var codec = JsonPayloadCodec.Default;
        var value = new Nested("nested object", 3, [true, false], new Inner(null, "snowman ☃"));

        var encoded = codec.Encode(value);
        var decoded = codec.Decode<Nested>(encoded);

        Assert.That(SameJson(ParityVectors[8], encoded), Is.True, encoded.Bytes.ToStringUtf8());
        Assert.That(decoded.Message, Is.EqualTo("nested object"));
        Assert.That(decoded.Count, Is.EqualTo(3));
        Assert.That(decoded.Flags, Is.EqualTo(new[] { true, false }));
        Assert.That(decoded.Inner.Unicode, Is.EqualTo("snowman ☃"));
        Assert.That(decoded.Inner.Empty, Is.Null);
    }

    [TestCase("text/plain")]
    [TestCase("Application/JSON")]
    [TestCase("application/json; charset=utf-8")]
    [TestCase("")]
    public void Wrong_content_type_fails_to_decode(string contentType)
    {
        var error = Assert.Throws<PayloadCodecException>(() => JsonPayloadCodec.Default.Decode<JsonNode?>(Json("true", contentType)));

        Assert.That(error!.Message, Does.Contain($"'{contentType}'"));
    }

    [TestCase("{")]
    [TestCase("tru")]
    [TestCase("")]
    public void Malformed_json_fails_to_decode_with_a_codec_error(string text)
    {
        var error = Assert.Throws<PayloadCodecException>(() => JsonPayloadCodec.Default.Decode<JsonNode?>(Json(text)));

        Assert.That(error!.InnerException, Is.InstanceOf<JsonException>());
    }

    [Test]
    public void Json_that_does_not_fit_the_type_fails_with_a_codec_error()
    {
        Assert.Throws<PayloadCodecException>(() => JsonPayloadCodec.Default.Decode<int>(Json("\"seven\"")));
    }

    [Test]
    public void Value_that_cannot_be_serialized_fails_with_a_codec_error()
    {
        var error = Assert.Throws<PayloadCodecException>(() => JsonPayloadCodec.Default.Encode(double.PositiveInfinity));

        Assert.That(error!.Message, Does.Contain("Could not encode"));
    }

    [Test]
    public void Custom_serializer_options_are_used_and_content_type_stays_json()
    {
        var codec = new JsonPayloadCodec(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });

        var encoded = codec.Encode(new { RetryInMs = 5 });

        Assert.That(encoded.ContentType, Is.EqualTo("application/json"));
        Assert.That(encoded.Bytes.ToStringUtf8(), Is.EqualTo("""{"retry_in_ms":5}"""));
    }

    [Test]
    public void Codec_accepts_shared_read_only_serializer_options()
    {
        var codec = new JsonPayloadCodec(JsonSerializerOptions.Web);

        var encoded = codec.Encode(new { RetryInMs = 5 });

        Assert.That(encoded.Bytes.ToStringUtf8(), Is.EqualTo("""{"retryInMs":5}"""));
        Assert.That(codec.Decode<JsonElement>(encoded).GetProperty("retryInMs").GetInt32(), Is.EqualTo(5));
    }

    [Test]
    public void Context_codec_round_trips_the_types_it_describes_with_the_context_options()
    {
        var codec = new JsonPayloadCodec(CodecJson.Default);

        var encoded = codec.Encode(new CodecSample("a", 2));

        Assert.That(encoded.ContentType, Is.EqualTo("application/json"));
        Assert.That(encoded.Bytes.ToStringUtf8(), Is.EqualTo("""{"name":"a","count":2}"""));
        Assert.That(codec.Decode<CodecSample>(encoded), Is.EqualTo(new CodecSample("a", 2)));
        Assert.That(codec.SerializerOptions.IsReadOnly, Is.True);
    }

    [Test]
    public void Context_codec_names_a_type_the_context_does_not_describe()
    {
        var codec = new JsonPayloadCodec(CodecJson.Default);

        var encode = Assert.Throws<PayloadCodecException>(() => codec.Encode(new CodecUnknown(1)));
        var decode = Assert.Throws<PayloadCodecException>(() => codec.Decode<CodecUnknown>(Json("""{"value":1}""")));

        Assert.That(encode!.Message, Does.Contain(typeof(CodecUnknown).ToString()));
        Assert.That(decode!.Message, Does.Contain(typeof(CodecUnknown).ToString()));
    }

    [Test]
    public void A_value_declared_as_object_is_written_as_its_runtime_type()
    {
        var codec = new JsonPayloadCodec(CodecJson.Default);

        var encoded = codec.Encode<object>(new CodecSample("details", 1));

        Assert.That(encoded.Bytes.ToStringUtf8(), Is.EqualTo("""{"name":"details","count":1}"""));
        Assert.That(codec.Encode<object?>(null).Bytes.ToStringUtf8(), Is.EqualTo("null"));
    }

    [Test]
    public void Default_is_created_once()
    {
        var first = JsonPayloadCodec.Default;
        var second = JsonPayloadCodec.Default;

        Assert.That(second, Is.SameAs(first));
    }
}

public sealed record CodecSample(string Name, int Count);

public sealed record CodecUnknown(int Value);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(CodecSample))]
internal sealed partial class CodecJson : System.Text.Json.Serialization.JsonSerializerContext;
