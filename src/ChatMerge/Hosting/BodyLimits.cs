using Microsoft.AspNetCore.Http.Features;

namespace ChatMerge.Hosting;

/// <summary>
/// Request body limits per endpoint: a message (up to a million characters) or a merge can be
/// large, a key or a chat's settings cannot. A larger body gets 413 before it is read whole.
/// </summary>
internal static class BodyLimits
{
    public const long Key = 16 * 1024;
    public const long Default = 1024 * 1024;
    // A million characters, escaped as JSON, with room for the other fields.
    public const long Message = 8 * 1024 * 1024;
    public const long Merge = 16 * 1024 * 1024;

    public static long For(HttpRequest request)
    {
        var path = request.Path;
        if (path.StartsWithSegments("/api/api-keys", StringComparison.OrdinalIgnoreCase))
            return Key;
        if (path.StartsWithSegments("/api/merge", StringComparison.OrdinalIgnoreCase))
            return Merge;
        if (RateLimits.IsCompletion(path))
            return Message;
        return Default;
    }

    public static WebApplication UseBodyLimits(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
                feature.MaxRequestBodySize = For(context.Request);
            return next(context);
        });
        return app;
    }
}
