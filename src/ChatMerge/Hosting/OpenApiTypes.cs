using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ChatMerge.Hosting;

/// <summary>
/// What the API document says a value is, where the JSON settings hide it from the schema generator:
/// strings go through <see cref="CleanStrings"/>, which leaves their schema empty, and numbers are
/// read from strings too (the web defaults), which makes every number "integer or string".
/// The document shows what a client should send.
/// </summary>
internal static class OpenApiTypes
{
    public static void Describe(OpenApiSchema schema, OpenApiSchemaTransformerContext context)
    {
        var type = context.JsonTypeInfo.Type;
        var nullable = context.JsonPropertyInfo is { IsGetNullable: true } || Nullable.GetUnderlyingType(type) is not null;
        if (type == typeof(string))
        {
            schema.Type = nullable ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String;
            // [AllowedValues] (the provider names) is checked on requests; the document lists the values.
            if (context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(AllowedValuesAttribute), inherit: false) is [AllowedValuesAttribute allowed, ..])
                schema.Enum = allowed.Values.Select(v => (JsonNode)JsonValue.Create(v?.ToString())!).ToList();
        }
        else if (schema.Type is { } types && types.HasFlag(JsonSchemaType.String) &&
                 (types.HasFlag(JsonSchemaType.Integer) || types.HasFlag(JsonSchemaType.Number)))
        {
            schema.Type = types & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
    }
}
