using Microsoft.AspNetCore.OpenApi;
using Scalar.AspNetCore;

namespace ChatMerge.Hosting;

/// <summary>The OpenAPI document at /openapi/v1.json and its reference page at /docs.</summary>
internal static class ApiDocument
{
    public static IServiceCollection AddApiDocument(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "ChatMerge API";
                document.Info.Description = "Multi-provider AI chat server with streaming completions and conversation merge.";
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
}
