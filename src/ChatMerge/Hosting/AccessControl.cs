using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc;

namespace ChatMerge.Hosting;

internal enum Access { Allowed, NeedsToken, NotLocal, NotLocalName }

/// <summary>
/// Who may use the API. Without CHATMERGE_API_TOKEN the server is in protected mode, as Redis
/// is: it answers only clients on this machine, so a server started with defaults on 0.0.0.0
/// cannot spend its owner's provider keys for strangers, and only requests addressed to it by
/// 'localhost' or an IP address, so that a web page cannot reach it under a name of its own that
/// resolves to 127.0.0.1 (DNS rebinding). With tokens every /api and /metrics request must carry
/// one of them. /health and /health/ready stay open for load balancers.
/// </summary>
internal sealed class AccessControl
{
    public const string TokenVariable = "CHATMERGE_API_TOKEN";
    public const string ProxiesVariable = "CHATMERGE_TRUSTED_PROXIES";

    // Hashes, so that the comparison takes the same time whatever the length of the guess.
    private readonly byte[][] _tokenHashes;

    public AccessControl(IEnumerable<string> tokens) =>
        _tokenHashes = tokens.Select(t => SHA256.HashData(Encoding.UTF8.GetBytes(t))).ToArray();

    public bool HasTokens => _tokenHashes.Length > 0;

    /// <summary>Several tokens (comma, semicolon or space separated) let a token be rotated without downtime.</summary>
    public static AccessControl FromConfiguration(IConfiguration configuration) =>
        new(Split(configuration[TokenVariable]));

    public Access Decide(string path, IPAddress? client, string? authorization, string? host = null)
    {
        // Liveness and readiness stay open for load balancers, as the probes of another machine.
        if (path.Equals("/health", StringComparison.OrdinalIgnoreCase) || path.StartsWith("/health/", StringComparison.OrdinalIgnoreCase))
            return Access.Allowed;
        if (!HasTokens)
            return !IsLocal(client) ? Access.NotLocal : IsLocalName(host) ? Access.Allowed : Access.NotLocalName;
        if (!path.StartsWith("/api", StringComparison.OrdinalIgnoreCase) && !path.StartsWith(Telemetry.PrometheusPath, StringComparison.OrdinalIgnoreCase))
            return Access.Allowed;
        return IsValid(authorization) ? Access.Allowed : Access.NeedsToken;
    }

    /// <summary>
    /// A Host header (without its port) that no other site's page can point at this machine:
    /// none, an IP address, or 'localhost' and its subdomains, which browsers resolve to loopback themselves.
    /// </summary>
    public static bool IsLocalName(string? host)
    {
        if (string.IsNullOrEmpty(host))
            return true;
        var name = HostString.FromUriComponent(host).Host.TrimEnd('.');
        return IPAddress.TryParse(name, out _) ||
               name.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
               name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>No address means no network: a Unix socket or an in-process host.</summary>
    public static bool IsLocal(IPAddress? client) =>
        client is null || IPAddress.IsLoopback(client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client);

    private bool IsValid(string? authorization)
    {
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return false;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim()));
        var valid = false;
        // Every token is compared, so the time does not say which one came close.
        foreach (var hash in _tokenHashes)
            valid |= CryptographicOperations.FixedTimeEquals(hash, presented);
        return valid;
    }

    public static string[] Split(string? value) =>
        (value ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static ProblemDetails Problem(Access access) => access switch
    {
        Access.NotLocal => new ProblemDetails
        {
            Status = StatusCodes.Status403Forbidden,
            Title = "Protected mode",
            Detail = "ChatMerge is in protected mode: no API token is configured, so it serves only clients on the same machine. " +
                     $"To open it to the network, set {TokenVariable} to a long random secret (e.g. `openssl rand -hex 32`) and send " +
                     "'Authorization: Bearer <token>' with every /api request.",
        },
        Access.NotLocalName => new ProblemDetails
        {
            Status = StatusCodes.Status403Forbidden,
            Title = "Protected mode",
            Detail = "ChatMerge is in protected mode: no API token is configured, so it answers only requests addressed to " +
                     "'localhost' or an IP address (a web page could otherwise reach it under a name of its own). " +
                     $"To serve it under a host name, set {TokenVariable} to a long random secret and send " +
                     "'Authorization: Bearer <token>' with every /api request.",
        },
        _ => new ProblemDetails
        {
            Status = StatusCodes.Status401Unauthorized,
            Title = "Unauthorized",
            Detail = $"Send one of the tokens configured in {TokenVariable} as 'Authorization: Bearer <token>'.",
        },
    };
}

internal static class AccessControlSetup
{
    /// <summary>Forwarded headers count only from the proxies listed in CHATMERGE_TRUSTED_PROXIES (addresses or CIDR ranges).</summary>
    public static WebApplicationBuilder AddAccessControl(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(AccessControl.FromConfiguration(builder.Configuration));
        // Parsed here, not in the options callback, so that a wrong entry stops the start in one line.
        var networks = new List<System.Net.IPNetwork>();
        var addresses = new List<IPAddress>();
        foreach (var proxy in AccessControl.Split(builder.Configuration[AccessControl.ProxiesVariable]))
        {
            if (System.Net.IPNetwork.TryParse(proxy, out var network) && proxy.Contains('/'))
                networks.Add(network);
            else if (IPAddress.TryParse(proxy, out var address))
                addresses.Add(address);
            else
                throw new SettingsException($"{AccessControl.ProxiesVariable}: '{proxy}' is neither an IP address nor a CIDR range.");
        }
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Every listed proxy is unwrapped, up to the first address that is not one. With the default of
            // one, a chain of two (a TLS terminator in front of nginx) gave the first hop's address as the
            // client's: loopback for two proxies on this machine, which protected mode took for a local client.
            options.ForwardLimit = null;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            addresses.ForEach(options.KnownProxies.Add);
            networks.ForEach(options.KnownIPNetworks.Add);
        });
        return builder;
    }

    public static WebApplication UseForwardedClients(this WebApplication app)
    {
        if (!string.IsNullOrWhiteSpace(app.Configuration[AccessControl.ProxiesVariable]))
            app.UseForwardedHeaders();
        return app;
    }

    public static WebApplication UseAccessControl(this WebApplication app)
    {
        var access = app.Services.GetRequiredService<AccessControl>();
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            var decision = access.Decide(request.Path, context.Connection.RemoteIpAddress, request.Headers.Authorization, request.Headers.Host);
            if (decision == Access.Allowed)
            {
                await next(context);
                return;
            }
            var problem = AccessControl.Problem(decision);
            context.Response.StatusCode = problem.Status!.Value;
            if (decision == Access.NeedsToken)
                context.Response.Headers.WWWAuthenticate = "Bearer";
            await context.RequestServices.GetRequiredService<IProblemDetailsService>()
                .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
        });
        return app;
    }
}
