using System.Net;
using System.Net.Sockets;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Hardening;

/// <summary>Every provider's base URL points at a loopback port where nothing listens.</summary>
public sealed class RefusedProviderServerFixture : ServerFixture
{
    private readonly string _closed = $"http://127.0.0.1:{ClosedPort()}/";

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("OPENAI_BASE_URL", _closed),
        new("ANTHROPIC_BASE_URL", _closed),
        new("GEMINI_BASE_URL", _closed),
        new("OPENAI_API_KEY", "sk-refused-openai-0123456789"),
        new("ANTHROPIC_API_KEY", "sk-ant-refused-0123456789"),
        new("GOOGLE_API_KEY", "AIzaRefusedGemini0123456789"),
        new("Providers:MaxRetries", "1"),
        new("Providers:StreamIdleTimeout", "00:00:02"),
    ];
}
