using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ChatMerge.Hosting;

/// <summary>
/// HTTPS from a certificate in PEM (<c>TLS_CERT_PATH</c>, <c>TLS_KEY_PATH</c>, optional
/// <c>TLS_KEY_PASSWORD</c>) or PKCS#12 (<c>TLS_PFX_PATH</c>, <c>TLS_PFX_PASSWORD</c>) files. With a
/// certificate, HTTPS listens on <c>SERVER_HTTPS_PORT</c> (8443) beside plain HTTP on <c>SERVER_PORT</c>,
/// which then only redirects (health probes excepted), and responses carry HSTS. Without one,
/// nothing changes: plain HTTP.
/// </summary>
internal static class Tls
{
    public const int DefaultHttpsPort = 8443;

    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["TLS_CERT_PATH"]) || !string.IsNullOrWhiteSpace(configuration["TLS_PFX_PATH"]);

    /// <summary>The HTTPS port to bind beside SERVER_PORT, or null without a certificate.</summary>
    public static int? HttpsPort(IConfiguration configuration)
    {
        if (!IsConfigured(configuration))
            return null;
        var port = configuration["SERVER_HTTPS_PORT"];
        if (string.IsNullOrWhiteSpace(port))
            return DefaultHttpsPort;
        return int.TryParse(port, out var number) && number is >= 0 and <= 65535
            ? number
            : throw new SettingsException($"SERVER_HTTPS_PORT must be a port number, not '{port}'.");
    }

    public static WebApplicationBuilder AddTls(this WebApplicationBuilder builder)
    {
        if (LoadCertificate(builder.Configuration) is not { } certificate)
            return builder;
        builder.Services.AddSingleton(new TlsCertificate(certificate));
        // Every https:// address gets this certificate, also one given by ASPNETCORE_URLS.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
        builder.Services.AddHsts(options => options.MaxAge = TimeSpan.FromDays(365));
        return builder;
    }

    public static WebApplication UseTls(this WebApplication app)
    {
        if (app.Services.GetService<TlsCertificate>() is null)
            return app;
        app.UseHsts();
        // Load balancers often probe over plain HTTP; everything else moves to HTTPS.
        app.UseWhen(context => !context.Request.IsHttps && !context.Request.Path.StartsWithSegments("/health"),
            branch => branch.UseHttpsRedirection());
        return app;
    }

    public static X509Certificate2? LoadCertificate(IConfiguration configuration)
    {
        var pem = configuration["TLS_CERT_PATH"];
        var pfx = configuration["TLS_PFX_PATH"];
        if (string.IsNullOrWhiteSpace(pem) && string.IsNullOrWhiteSpace(pfx))
            return null;
        if (!string.IsNullOrWhiteSpace(pem) && !string.IsNullOrWhiteSpace(pfx))
            throw new SettingsException("Set either TLS_CERT_PATH (PEM) or TLS_PFX_PATH (PKCS#12), not both.");
        var path = pfx ?? pem!;
        try
        {
            if (!string.IsNullOrWhiteSpace(pfx))
                return X509CertificateLoader.LoadPkcs12FromFile(pfx, configuration["TLS_PFX_PASSWORD"]);
            // Without TLS_KEY_PATH the key is read from the certificate file itself.
            var key = configuration["TLS_KEY_PATH"] is { Length: > 0 } k ? k : null;
            var certificate = configuration["TLS_KEY_PASSWORD"] is { Length: > 0 } password
                ? X509Certificate2.CreateFromEncryptedPemFile(pem!, password, key)
                : X509Certificate2.CreateFromPemFile(pem!, key);
            if (!OperatingSystem.IsWindows())
                return certificate;
            // Windows' TLS stack cannot use the ephemeral key of a PEM-loaded certificate.
            using (certificate)
                return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
        {
            throw new SettingsException($"TLS: cannot load the certificate from '{path}': {e.Message}", e);
        }
    }
}

/// <summary>The certificate HTTPS serves, registered only when TLS is on.</summary>
internal sealed record TlsCertificate(X509Certificate2 Certificate);
