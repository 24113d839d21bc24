using System.Net;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Hardening;

/// <summary>
/// A chat can hold more text than the server has memory: 200 messages of a million characters each
/// (the largest a message may be) are 400 MB as .NET strings. It is written as it is read, on
/// SQLite and on PostgreSQL.
/// </summary>
public sealed class LargeChatTests : IAsyncLifetime
{
    private const int Messages = 200;
    private const int MessageLength = 1_000_000;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "chatmerge-tests", Guid.NewGuid().ToString("N"));
    private TestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _database = await TestDatabase.CreateAsync(_directory);
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("/export?format=markdown")]
    [InlineData("/export?format=json")]
    [InlineData("")]
    [InlineData("/messages")]
    public async Task A_chat_larger_than_the_servers_memory_is_read_and_exported_whole(string path)
    {
        List<KeyValuePair<string, string>> settings =
        [
            new("DATABASE_URL", _database.Url),
            new("CHATMERGE_KEY_RING_SECRET", TestDatabase.KeyRingSecret),
            // 256 MB of managed memory for the whole server: less than the chat's text.
            new("DOTNET_GCHeapHardLimit", "0x10000000"),
        ];
        await using var server = await ServerProcess.StartAsync(_directory, settings);
        var created = await server.Client.PostAsync("/api/chats",
            new StringContent("""{"provider":"openai","model":"gpt-4o","title":"Long documents"}""", System.Text.Encoding.UTF8, "application/json"));
        var chat = (await HttpAssert.JsonAsync(created, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await SeedAsync(chat);

        using var response = await server.Client.GetAsync($"/api/chats/{chat}{path}", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(path.StartsWith("/export", StringComparison.Ordinal) ? "attachment" : null, response.Content.Headers.ContentDisposition?.DispositionType);
        var (length, last) = await ReadAsync(await response.Content.ReadAsStreamAsync());
        Assert.InRange(length, (long)Messages * MessageLength, (long)Messages * MessageLength + 1_000_000);
        // Every message arrived, the last one too: its text ends the file.
        Assert.Contains($"{Messages - 1}:" + new string('x', 100), last);
    }

    /// <summary>The messages, stored as the server stores them, by the database itself (the test process holds none of them).</summary>
    private Task SeedAsync(string chat)
    {
        var id = _database.IdLiteral(chat);
        var prefix = MessageLength - 8;
        return _database.ExecuteAsync(_database.IsPostgres
            ? $"""
              INSERT INTO messages (id, chat_id, role, content, is_complete, created_at)
              SELECT gen_random_uuid(), {id}, CASE i % 2 WHEN 0 THEN 'user' ELSE 'assistant' END,
                     lpad(i || ':', 8, ' ') || repeat('x', {prefix}), true, timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second'
              FROM generate_series(0, {Messages - 1}) AS i;
              UPDATE chats SET message_count = {Messages} WHERE id = {id};
              """
            : $"""
              WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {Messages})
              INSERT INTO messages (id, chat_id, role, content, is_complete, created_at)
              SELECT printf('%08X-0000-7000-8000-000000000000', i), {id}, CASE i % 2 WHEN 0 THEN 'user' ELSE 'assistant' END,
                     printf('%8s', i || ':') || replace(hex(zeroblob({prefix / 2})), '00', 'xx'), 1, strftime('%Y-%m-%d %H:%M:%S', '2026-01-01', '+' || i || ' seconds')
              FROM n;
              UPDATE chats SET message_count = {Messages} WHERE id = {id};
              """);
    }

    /// <summary>The body's length in bytes and its last two megabytes as text.</summary>
    private static async Task<(long Length, string Last)> ReadAsync(Stream body)
    {
        var buffer = new byte[1 << 16];
        var tail = new MemoryStream();
        long length = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            length += read;
            tail.Write(buffer, 0, read);
            if (tail.Length > 4_000_000)
            {
                var keep = tail.ToArray()[^2_000_000..];
                tail = new MemoryStream();
                tail.Write(keep);
            }
        }
        return (length, System.Text.Encoding.UTF8.GetString(tail.ToArray()));
    }
}
