using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;

namespace ChatMerge.Hosting;

internal static class ServerDefaults
{
    public const string CorsPolicy = "configured-origins";

    private static readonly string[] DevelopmentOrigins =
    [
        "http://localhost:3000", "http://127.0.0.1:3000",
        "http://localhost:5173", "http://127.0.0.1:5173",
    ];

    /// <summary>SERVER_HOST and SERVER_PORT, as the original, plus SERVER_HTTPS_PORT with a certificate (see <see cref="Tls"/>); an explicit --urls or ASPNETCORE_URLS still wins.</summary>
    public static WebApplicationBuilder AddServerUrls(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            var host = builder.Configuration["SERVER_HOST"] is { Length: > 0 } h ? h : "0.0.0.0";
            var port = builder.Configuration["SERVER_PORT"] is { Length: > 0 } p ? p : "8000";
            if (!int.TryParse(port, out var portNumber) || portNumber is < 0 or > 65535)
                throw new SettingsException($"SERVER_PORT must be a port number, not '{port}'.");
            var httpsPort = Tls.HttpsPort(builder.Configuration);
            var urls = BindAddresses(host).SelectMany(address => httpsPort is { } https
                ? new[] { $"http://{address}:{portNumber}", $"https://{address}:{https}" }
                : [$"http://{address}:{portNumber}"]);
            builder.WebHost.UseUrls([.. urls]);
        }
        return builder;
    }

    /// <summary>
    /// The addresses SERVER_HOST names, as the original's server bound them: an IP address, localhost, or
    /// the addresses a host name resolves to (<c>*</c> stays every interface). Kestrel itself would take
    /// any other name, a mistyped address included, for every interface.
    /// </summary>
    internal static IReadOnlyList<string> BindAddresses(string host)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip))
            return [Format(ip)];
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host is "*" or "+")
            return [host];
        IPAddress[] resolved;
        try
        {
            resolved = Dns.GetHostAddresses(host);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            resolved = [];
        }
        return resolved.Length > 0
            ? resolved.Select(Format).Distinct().ToList()
            : throw new SettingsException($"SERVER_HOST must be an IP address, localhost or a host name that resolves, not '{host}'.");

        static string Format(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
    }

    public static WebApplicationBuilder AddApiDefaults(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<JsonOptions>(options => ConfigureJson(options.SerializerOptions));
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemDetailsText.Fill);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddValidation();
        services.AddApiDocument();

        // An origin has no path, but one copied from the address bar ends in '/' and would match no browser's Origin.
        var origins = (builder.Configuration["CORS_ORIGINS"] ?? "")
            .Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(origin => origin.TrimEnd('/'))
            .ToArray();
        services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy => policy
            .WithOrigins(origins.Length > 0 ? origins : DevelopmentOrigins)
            .AllowAnyHeader()
            .AllowAnyMethod()));
        return builder;
    }

    public static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        // {"provider":"a","provider":"b"} means two things to two parsers: refuse it.
        options.AllowDuplicateProperties = false;
        options.Converters.Add(new CleanStrings());
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
    }

    public static WebApplication UseApiDefaults(this WebApplication app)
    {
        // The client's address first (everything after judges it), headers on every response.
        app.UseForwardedClients();
        app.UseSecurityHeaders();
        app.UseBodyLimits();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Routing after the handlers so that its failures are problems too. It already matches
        // /api/chats and /api/chats/ alike, so each collection is mapped once (no redirect).
        app.UseRouting();
        // CORS answers preflights before the token check (browsers send them without one);
        // the limiter counts token guesses too.
        app.UseCors(CorsPolicy);
        app.UseRateLimiter();
        app.UseAccessControl();
        return app;
    }
}
