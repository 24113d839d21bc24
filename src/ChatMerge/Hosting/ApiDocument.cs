using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace ChatMerge.Hosting;

/// <summary>
/// The OpenAPI document at /openapi/v1.json and its reference page at /docs. The endpoints describe
/// their own answers; what the middleware in front of them answers (token, protected mode, body
/// limits, rate limits, an unusable database) and the readiness probe, which is not a route handler,
/// are added here, so that a client generated from the document knows every answer it can get.
/// </summary>
internal static class ApiDocument
{
    private const string Bearer = "bearer";
    private const string Problem = "application/problem+json";
    private const string EventStreamType = "text/event-stream";

    private const string EventStreamText =
        "Server-Sent Events, each flushed as it is produced: an `event: <type>` line, a `data: {\"type\": ..., \"data\": ...}` line " +
        "(one event as JSON, the schema below) and a blank line; `: keep-alive` comment lines come while nothing else does. " +
        "The stream ends after `done` (completion), `merge_complete` (merge) or `error`.";

    public static IServiceCollection AddApiDocument(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "ChatMerge API";
                document.Info.Description = "Multi-provider AI chat server with streaming completions and conversation merge.";
                Describe(document);
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                OpenApiTypes.Describe(schema, context);
                return Task.CompletedTask;
            });
        });

    /// <summary>The page loads only from this server: no fonts from a CDN, no telemetry, no AI agent service.</summary>
    public static WebApplication MapApiDocument(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference("/docs", options => options.DisableDefaultFonts().DisableTelemetry().DisableAgent());
        return app;
    }

    private static void Describe(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = $"One of the tokens of {AccessControl.TokenVariable}. Without tokens configured the server " +
                          "answers only clients on its own machine, and no token is needed.",
        };
        var problem = new OpenApiSchemaReference("ProblemDetails", document);
        foreach (var (path, item) in document.Paths)
        {
            if (!path.StartsWith("/api", StringComparison.Ordinal) || item.Operations is null)
                continue;
            foreach (var operation in item.Operations.Values)
            {
                // Either the bearer token or nothing (protected mode, on the server's own machine).
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] }, new OpenApiSecurityRequirement()];
                // The paging of the lists is checked in their handlers (Problems.InvalidPaging).
                foreach (var parameter in operation.Parameters?.Where(p => p.In == ParameterLocation.Query) ?? [])
                {
                    if (parameter.Schema is OpenApiSchema paging && parameter.Name is "limit" or "offset")
                        (paging.Minimum, paging.Maximum) = parameter.Name == "limit" ? ("1", Problems.MaxLimit.ToString()) : ("0", null);
                }
                var responses = operation.Responses ??= new OpenApiResponses();
                if (responses.TryGetValue("200", out var ok) && ok is OpenApiResponse answer && answer.Content?.TryGetValue(EventStreamType, out var stream) == true)
                {
                    answer.Description = EventStreamText;
                    stream.Example = new JsonObject { ["type"] = "content", ["data"] = "Async functions return " };
                }
                Add(responses, problem, 401, $"No valid token: {AccessControl.TokenVariable} is set and the request did not carry one as 'Authorization: Bearer <token>'.",
                    ("WWW-Authenticate", "Bearer"));
                Add(responses, problem, 403, "Protected mode: no token is configured, and the request came from another machine or under a host name.");
                if (operation.RequestBody is not null)
                {
                    Add(responses, problem, 413, "The body is larger than this endpoint takes.");
                    Add(responses, problem, 415, "The body is not sent as application/json.");
                }
                Add(responses, problem, 429, "Too many requests from this client; Retry-After says in how many seconds to try again.",
                    ("Retry-After", "Seconds to wait."));
                Add(responses, problem, 503, "The database cannot be used right now (unreachable, busy, a full or read-only disk); try again shortly.");
            }
        }
        document.Paths["/health/ready"] = Readiness(document);
    }

    private static void Add(OpenApiResponses responses, IOpenApiSchema problem, int status, string description, params (string Name, string Description)[] headers)
    {
        if (responses.ContainsKey(status.ToString()))
            return;
        responses[status.ToString()] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { [Problem] = new() { Schema = problem } },
            Headers = headers.Length == 0 ? null : headers.ToDictionary(
                h => h.Name, IOpenApiHeader (h) => new OpenApiHeader { Description = h.Description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } }),
        };
    }

    /// <summary>The probe of <see cref="HealthChecks"/>, which the endpoint explorer does not see (it is not a route handler).</summary>
    private static OpenApiPathItem Readiness(OpenApiDocument document)
    {
        OpenApiResponse Answer(string description, string status) => new()
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new()
                {
                    Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string> { "status", "checks" },
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["status"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("ok"), JsonValue.Create("unavailable")] },
                            ["checks"] = new OpenApiSchema { Type = JsonSchemaType.Object, AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String } },
                        },
                    },
                    Example = new JsonObject { ["status"] = status, ["checks"] = new JsonObject { ["database"] = status == "ok" ? "ok" : "The database cannot be reached." } },
                },
            },
        };
        return new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = new()
                {
                    Tags = new HashSet<OpenApiTagReference> { new("Health", document) },
                    Summary = "Readiness: the database is reachable and fully migrated (for load balancers; open without a token)",
                    Responses = new OpenApiResponses
                    {
                        ["200"] = Answer("Ready.", "ok"),
                        ["503"] = Answer("Not ready: the database cannot be reached or a migration is pending.", "unavailable"),
                    },
                },
            },
        };
    }
}
