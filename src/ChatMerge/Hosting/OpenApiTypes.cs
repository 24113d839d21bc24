using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
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
        // Every problem has a detail (see ProblemDetailsText).
        var nullable = context.JsonPropertyInfo is { IsGetNullable: true } property && !(property.DeclaringType.IsAssignableTo(typeof(ProblemDetails)) && property.Name == "detail")
                       || Nullable.GetUnderlyingType(type) is not null;
        var attributes = context.JsonPropertyInfo?.AttributeProvider;
        if (type == typeof(string))
        {
            schema.Type = nullable ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String;
            // [AllowedValues] (the provider names) is checked on requests; the document lists the values.
            if (attributes?.GetCustomAttributes(typeof(AllowedValuesAttribute), inherit: false) is [AllowedValuesAttribute allowed, ..])
                schema.Enum = allowed.Values.Select(v => (JsonNode)JsonValue.Create(v?.ToString())!).ToList();
            // The generator gives only non-nullable strings their [MaxLength]; an optional title has its limit too.
            if (attributes?.GetCustomAttributes(typeof(MaxLengthAttribute), inherit: false) is [MaxLengthAttribute max, ..])
                schema.MaxLength ??= max.Length;
        }
        else if (context.JsonTypeInfo.ElementType == typeof(string) && schema.Items is null)
        {
            // A list of strings (chat_ids, available_models, a validation problem's messages) lost its items with the string schema.
            schema.Items = new OpenApiSchema { Type = JsonSchemaType.String };
        }
        else if (typeof(ProblemDetails).IsAssignableFrom(type))
        {
            // Its extensions (trace_id) are members too.
            schema.Required ??= new HashSet<string>();
            schema.Required.Add("detail");
            schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
            schema.Properties["trace_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's trace id, for the server's logs." };
            schema.AdditionalPropertiesAllowed = true;
        }
        else if (schema.Type is { } types && types.HasFlag(JsonSchemaType.String) &&
                 (types.HasFlag(JsonSchemaType.Integer) || types.HasFlag(JsonSchemaType.Number)))
        {
            schema.Type = types & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
    }
}
