using System.Net;
using System.Net.Sockets;
using ChatMerge.Tests.Hardening;

namespace ChatMerge.Tests.Operations;

/// <summary>A setting the server cannot start with, or a port that is taken, stops the start with one line that says why: exit code 1, no stack trace.</summary>
public sealed class StartupFailureTests
{
    [Theory]
    [InlineData("SERVER_PORT", "eighty", "SERVER_PORT must be a port number, not 'eighty'.")]
    [InlineData("SERVER_HOST", "chatmerge-no-such-host.invalid", "SERVER_HOST must be an IP address, localhost or a host name that resolves, not 'chatmerge-no-such-host.invalid'.")]
    [InlineData("LOG_FORMAT", "xml", "LOG_FORMAT must be 'text' or 'json', not 'xml'.")]
    [InlineData("CHATMERGE_KEY_RING_SECRET", "too-short", "CHATMERGE_KEY_RING_SECRET must be at least 32 characters long")]
    [InlineData("DATABASE_URL", "mysql://db/chats", "DATABASE_URL: unsupported scheme 'mysql'.")]
    [InlineData("OPENAI_BASE_URL", "not a url", "every BaseUrl (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, GEMINI_BASE_URL) must be an absolute URL.")]
    [InlineData("CHATMERGE_TRUSTED_PROXIES", "10.0.0.0/99", "CHATMERGE_TRUSTED_PROXIES: '10.0.0.0/99' is neither an IP address nor a CIDR range.")]
    [InlineData("CHATMERGE_TRUSTED_PROXIES", "proxy.internal", "CHATMERGE_TRUSTED_PROXIES: 'proxy.internal' is neither an IP address nor a CIDR range.")]
    [InlineData("Providers__StreamIdleTimeout", "two minutes", "Failed to convert configuration value 'two minutes' at 'Providers:StreamIdleTimeout'")]
    [InlineData("DATABASE_URL", "postgres://chatmerge:hunter2@db:port/chats", "DATABASE_URL cannot be used: Invalid URI: Invalid port specified.")]
    [InlineData("DATABASE_URL", "postgres://chatmerge:hunter2@db/chats?sslmode=on", "DATABASE_URL: sslmode 'on' is not one of disable, allow, prefer, require")]
    public async Task A_setting_that_cannot_work_is_named_in_one_line(string name, string value, string expected)
    {
        var output = await StartFailureAsync([new(name, value)]);

        Assert.Contains("The server exited with 1", output);
        Assert.Contains("ChatMerge cannot start: ", output);
        Assert.Contains(expected, output);
        Assert.DoesNotContain("hunter2", output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Unhandled exception", output);
    }

    [Fact]
    public async Task A_port_that_is_taken_ends_with_one_line_that_says_what_to_change()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var output = await StartFailureAsync([new("SERVER_PORT", port.ToString())]);

        Assert.Contains("The server exited with 1", output);
        Assert.Contains($"ChatMerge cannot start: Failed to bind to address http://127.0.0.1:{port}: address already in use. Set SERVER_PORT", output);
        Assert.DoesNotContain("Unhandled exception", output);
    }

    [Fact]
    public async Task A_key_ring_directory_that_cannot_be_made_is_named_in_one_line()
    {
        // A path through a file cannot become a directory, whoever runs the server (root included),
        // as a volume owned by another user or a read-only mount cannot.
        var output = await StartFailureAsync([new("CHATMERGE_KEYS_DIR", "blocker/keys")], BlockerFile);

        Assert.Contains("The server exited with 1", output);
        Assert.Contains("ChatMerge cannot start: The key ring directory", output);
        Assert.Contains("blocker", output);
        Assert.Contains("CHATMERGE_KEYS_DIR", output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Unhandled exception", output);
    }

    [Fact]
    public async Task A_database_directory_that_cannot_be_made_is_named_in_one_line()
    {
        var output = await StartFailureAsync(
            [new("DATABASE_URL", "sqlite:///./blocker/data/chat_app.db"), new("CHATMERGE_KEYS_DIR", "keys")], BlockerFile);

        Assert.Contains("The server exited with 1", output);
        Assert.Contains("Cannot open the database of DATABASE_URL", output);
        Assert.Contains("blocker", output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Unhandled exception", output);
    }

    [Fact]
    public async Task A_key_ring_directory_on_postgresql_must_be_named()
    {
        var output = await StartFailureAsync(
        [
            new("DATABASE_URL", "postgres://chatmerge:hunter2@127.0.0.1:1/chats"), new("CHATMERGE_KEY_RING", "directory"),
            new("CHATMERGE_KEY_RING_SECRET", new string('s', 40)),
        ]);

        Assert.Contains("The server exited with 1", output);
        Assert.Contains("ChatMerge cannot start: CHATMERGE_KEY_RING=directory on PostgreSQL needs CHATMERGE_KEYS_DIR", output);
        Assert.DoesNotContain("hunter2", output);
    }

    private static void BlockerFile(string directory) => File.WriteAllText(Path.Combine(directory, "blocker"), "");

    private static async Task<string> StartFailureAsync(KeyValuePair<string, string>[] settings, Action<string>? prepare = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "chatmerge-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            prepare?.Invoke(directory);
            var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(directory, settings));
            return failed.Message;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
