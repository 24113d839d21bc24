using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChatMerge.Hosting;

/// <summary>
/// Strings in request bodies are text people wrote: control characters other than tab and line
/// breaks are refused (PostgreSQL cannot even store U+0000), and so are lone surrogates, which are
/// not text in any encoding. Refused as malformed JSON: a 400 with a detail.
/// </summary>
internal sealed class CleanStrings : JsonConverter<string>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"Expected a string, not {reader.TokenType}.");
        string value;
        try
        {
            value = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // Bytes that are not UTF-8, or an escaped lone surrogate the reader cannot decode.
            throw new JsonException("Strings must be valid Unicode text in UTF-8.");
        }
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c < ' ' && c is not ('\t' or '\n' or '\r'))
                throw new JsonException($"Strings must not contain control characters (found U+{(int)c:X4}).");
            if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[++i])))
                throw new JsonException("Strings must be valid Unicode text (a lone surrogate is not).");
        }
        return value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
