using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ChatMerge.Hosting;
using ChatMerge.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Operations;

/// <summary>
/// The server with a self-signed certificate made here, configured only through the documented
/// variables (TLS_CERT_PATH, TLS_KEY_PATH, SERVER_HTTPS_PORT): HTTPS on one port, HTTP on the other.
/// </summary>
public sealed class TlsServerFixture : SimulatedServerFixture
{
    public X509Certificate2 Certificate { get; } = TestCertificates.Create("chatmerge.test");
    public Uri Http { get; private set; } = null!;
    public Uri Https { get; private set; } = null!;
    public HttpClient HttpsClient { get; private set; } = null!;
    public HttpClient HttpClient { get; private set; } = null!;
    public X509Certificate2? PresentedCertificate { get; private set; }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        var (certPath, keyPath) = TestCertificates.WritePem(Certificate, Directory);
        return base.Settings().Concat(
        [
            new("TLS_CERT_PATH", certPath),
            new("TLS_KEY_PATH", keyPath),
            new("SERVER_HTTPS_PORT", "0"),
        ]);
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Http = new Uri(addresses.Single(a => a.StartsWith("http://", StringComparison.Ordinal)));
        Https = new Uri(addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal)));
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            // Trust exactly this certificate, as a client given the operator's CA would.
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                PresentedCertificate = certificate is null ? null : new X509Certificate2(certificate);
                return certificate?.Thumbprint == Certificate.Thumbprint;
            },
        };
        HttpsClient = new HttpClient(handler) { BaseAddress = Https, Timeout = TimeSpan.FromMinutes(1) };
        HttpClient = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Http };
    }

    public override async Task DisposeAsync()
    {
        HttpsClient.Dispose();
        HttpClient.Dispose();
        await base.DisposeAsync();
    }
}

public sealed class TlsTests(TlsServerFixture server) : IClassFixture<TlsServerFixture>
{
    [Fact]
    public async Task Https_serves_the_api_with_the_configured_certificate_and_streams_a_completion()
    {
        var created = await server.HttpsClient.PostAsJsonAsync("/api/chats", new { provider = "anthropic", model = "claude-3-5-haiku-latest" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(server.Certificate.Thumbprint, server.PresentedCertificate?.Thumbprint);
        var chatId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var result = await Sse.PostAsync(server.HttpsClient, $"/api/chats/{chatId}/completions", new { content = "Over TLS?" });

        Assert.Equal(200, result.Status);
        Assert.Equal("text/event-stream", result.ContentType);
        Assert.Equal("You said: \"Over TLS?\" (1 messages, system: no)", result.Text("content"));
        Assert.Equal("done", result.Last?.Type);
    }

    [Fact]
    public async Task Plain_http_redirects_to_the_https_port()
    {
        var response = await server.HttpClient.GetAsync("/api/chats?limit=1");

        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Equal(new Uri(server.Https, "/api/chats?limit=1"), response.Headers.Location);
    }

    [Fact]
    public async Task Health_probes_answer_over_plain_http_without_a_redirect()
    {
        var response = await server.HttpClient.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Https_responses_carry_hsts_for_a_named_host()
    {
        // HSTS is never sent for localhost or loopback addresses, so ask as a real host name would.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Host = "chatmerge.test";

        var response = await server.HttpsClient.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("max-age=31536000", string.Join(",", response.Headers.GetValues("Strict-Transport-Security")));
    }

    [Fact]
    public void Pfx_with_its_password_loads_the_same_certificate()
    {
        var path = Path.Combine(server.Directory, "server.pfx");
        File.WriteAllBytes(path, server.Certificate.Export(X509ContentType.Pkcs12, "pfx-pass"));

        using var loaded = Tls.LoadCertificate(Configuration(("TLS_PFX_PATH", path), ("TLS_PFX_PASSWORD", "pfx-pass")));

        Assert.Equal(server.Certificate.Thumbprint, loaded?.Thumbprint);
        Assert.True(loaded!.HasPrivateKey);
    }

    [Fact]
    public void Pfx_with_a_wrong_password_fails_with_a_message_naming_the_file()
    {
        var path = Path.Combine(server.Directory, "wrong.pfx");
        File.WriteAllBytes(path, server.Certificate.Export(X509ContentType.Pkcs12, "right"));

        var error = Assert.Throws<SettingsException>(() => Tls.LoadCertificate(Configuration(("TLS_PFX_PATH", path), ("TLS_PFX_PASSWORD", "wrong"))));

        Assert.Contains(path, error.Message);
        Assert.DoesNotContain("right", error.Message.Replace(path, ""));
    }

    [Fact]
    public void Pem_and_pfx_together_are_rejected()
    {
        var error = Assert.Throws<SettingsException>(() => Tls.LoadCertificate(Configuration(("TLS_PFX_PATH", "a.pfx"), ("TLS_CERT_PATH", "a.pem"))));

        Assert.Contains("not both", error.Message);
    }

    [Fact]
    public void Without_a_certificate_no_https_port_is_bound()
    {
        Assert.Null(Tls.HttpsPort(Configuration(("SERVER_HTTPS_PORT", "9443"))));
        Assert.Equal(Tls.DefaultHttpsPort, Tls.HttpsPort(Configuration(("TLS_CERT_PATH", "cert.pem"))));
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}

/// <summary>Self-signed certificates made in the test, never read from the machine's stores.</summary>
public static class TestCertificates
{
    public static X509Certificate2 Create(string hostName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostName);
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    public static (string CertPath, string KeyPath) WritePem(X509Certificate2 certificate, string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var certPath = Path.Combine(directory, "server.crt");
        var keyPath = Path.Combine(directory, "server.key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }
}
