using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace ChatMerge.Tests.Hardening;

/// <summary>A chat and a stored key to aim at, so that the hostile requests meet real rows.</summary>
public sealed class BadInputServerFixture : SimulatedServerFixture
{
    public string ChatId { get; private set; } = "";
    public string KeyId { get; private set; } = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        ChatId = (await CreateChatAsync("openai", "gpt-4o-mini", title: "target")).GetProperty("id").GetString()!;
        await this.CompleteAsync(ChatId, "first words");
        var key = await Client.PostAsJsonAsync("/api/api-keys", new { provider = "anthropic", api_key = "sim-anthropic-key" });
        KeyId = (await HttpAssert.JsonAsync(key, System.Net.HttpStatusCode.Created)).GetProperty("id").GetString()!;
    }

    /// <summary>Every row of every table, to show that a refused request changed nothing.</summary>
    public async Task<string> SnapshotAsync()
    {
        if (Database.IsPostgres)
            return await PostgresSnapshotAsync();
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                tables.Add(reader.GetString(0));
        }
        var dump = new StringBuilder();
        foreach (var table in tables)
        {
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\" ORDER BY rowid";
            await using var reader = await select.ExecuteReaderAsync();
            dump.Append("# ").AppendLine(table);
            while (await reader.ReadAsync())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                    dump.Append(reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).Append('|');
                dump.AppendLine();
            }
        }
        return dump.ToString();
    }

    private async Task<string> PostgresSnapshotAsync()
    {
        var dump = new StringBuilder();
        foreach (var table in new[] { "chats", "messages", "api_keys", "merge_history", "data_protection_keys", "__EFMigrationsHistory" })
            dump.Append("# ").AppendLine(table).AppendLine(await QueryScalarAsync<string>(
                $"SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') FROM \"{table}\" t"));
        return dump.ToString();
    }
}

/// <summary>
/// Hostile and broken requests across every endpoint: each gets a 4xx with a detail, never a 5xx,
/// and the database stays exactly as it was. Placeholders: {chat} an existing chat, {key} a stored
/// key, {unknown} a UUID that names nothing, {x:N} N letters, {bad-utf8} bytes that are not UTF-8.
/// </summary>
public sealed partial class BadInputMatrixTests(BadInputServerFixture server) : IClassFixture<BadInputServerFixture>
{
    private const string Json = "application/json";
    private const string Chat = "{\"provider\":\"openai\",\"model\":\"gpt-4o\"";

    public static TheoryData<string, string, string?, string?> Cases()
    {
        var cases = new TheoryData<string, string, string?, string?>();
        foreach (var (method, path, type, body) in ChatCases.Concat(KeyCases).Concat(CompletionCases).Concat(RoutingCases).Concat(MergeCases))
            cases.Add(method, path, type, body);
        return cases;
    }

    private static readonly (string, string, string?, string?)[] ChatCases =
    [
        ("POST", "/api/chats", Json, "{"),
        ("POST", "/api/chats", Json, Chat),
        ("POST", "/api/chats", Json, "[]"),
        ("POST", "/api/chats", Json, "\"chat\""),
        ("POST", "/api/chats", Json, "null"),
        ("POST", "/api/chats", Json, ""),
        ("POST", "/api/chats", Json, "{\"provider\":5,\"model\":\"gpt-4o\"}"),
        ("POST", "/api/chats", Json, "{\"provider\":\"openai\",\"model\":[\"gpt-4o\"]}"),
        ("POST", "/api/chats", Json, "{\"provider\":\"openai\",\"model\":\"\"}"),
        ("POST", "/api/chats", Json, "{\"provider\":\"openai\",\"model\":\"   \"}"),
        ("POST", "/api/chats", Json, "{\"provider\":\"azure\",\"model\":\"gpt-4o\"}"),
        ("POST", "/api/chats", Json, Chat + ",\"title\":\"{x:501}\"}"),
        ("POST", "/api/chats", Json, "{\"provider\":\"openai\",\"model\":\"{x:201}\"}"),
        ("POST", "/api/chats", Json, Chat + ",\"colour\":\"red\"}"),
        ("POST", "/api/chats", Json, "{\"provider\":\"openai\",\"provider\":\"anthropic\",\"model\":\"gpt-4o\"}"),
        ("POST", "/api/chats", Json, Chat + ",\"title\":\"a\\u0000b\"}"),
        ("POST", "/api/chats", Json, Chat + ",\"title\":\"bell\\u0007\"}"),
        ("POST", "/api/chats", Json, Chat + ",\"title\":\"{bad-utf8}\"}"),
        ("POST", "/api/chats", Json, Chat + ",\"title\":\"\\ud800\"}"),
        ("POST", "/api/chats", "text/plain", Chat + "}"),
        ("POST", "/api/chats", "application/x-www-form-urlencoded", "provider=openai&model=gpt-4o"),
        ("POST", "/api/chats", null, Chat + "}"),
        ("GET", "/api/chats/not-a-uuid", null, null),
        ("GET", "/api/chats/{unknown}", null, null),
        ("GET", "/api/chats/%27%20OR%201%3D1%20--", null, null),
        ("GET", "/api/chats/{x:2000}", null, null),
        ("GET", "/api/chats/{chat}x", null, null),
        ("GET", "/api/chats?limit=-1", null, null),
        ("GET", "/api/chats?limit=0", null, null),
        ("GET", "/api/chats?limit=99999999999", null, null),
        ("GET", "/api/chats?limit=abc", null, null),
        ("GET", "/api/chats?offset=-5", null, null),
        ("GET", "/api/chats?offset=1e10", null, null),
        ("PATCH", "/api/chats/{chat}", Json, "{\"title\":"),
        ("PATCH", "/api/chats/{chat}", Json, "{\"provider\":\"azure\"}"),
        ("PATCH", "/api/chats/{chat}", Json, "{\"title\":\"{x:501}\"}"),
        ("PATCH", "/api/chats/{chat}", Json, "{\"title\":\"new\",\"pinned\":true}"),
        ("PATCH", "/api/chats/{chat}", Json, "{\"title\":42}"),
        ("PATCH", "/api/chats/{chat}", Json, "{\"system_prompt\":\"{x:100001}\"}"),
        ("PATCH", "/api/chats/not-a-uuid", Json, "{\"title\":\"new\"}"),
        ("PATCH", "/api/chats/{unknown}", Json, "{\"title\":\"new\"}"),
        ("PATCH", "/api/chats/{chat}", "text/plain", "{\"title\":\"new\"}"),
        ("DELETE", "/api/chats/not-a-uuid", null, null),
        ("DELETE", "/api/chats/{unknown}", null, null),
        ("GET", "/api/chats/{unknown}/messages", null, null),
        ("GET", "/api/chats/bad/messages", null, null),
    ];

    private static readonly (string, string, string?, string?)[] KeyCases =
    [
        ("POST", "/api/api-keys", Json, "{\"provider\":\"openai\"}"),
        ("POST", "/api/api-keys", Json, "{\"provider\":\"openai\",\"api_key\":\"\"}"),
        ("POST", "/api/api-keys", Json, "{\"provider\":\"openai\",\"api_key\":\"sk with spaces\"}"),
        ("POST", "/api/api-keys", Json, "{\"provider\":\"openai\",\"api_key\":\"sk-\\u0007bell\"}"),
        ("POST", "/api/api-keys", Json, "{\"provider\":\"openai\",\"api_key\":\"{x:1001}\"}"),
        ("POST", "/api/api-keys", Json, "{\"provider\":\"azure\",\"api_key\":\"sk-valid-shape\"}"),
        ("POST", "/api/api-keys", Json, "{\"provider\":null,\"api_key\":\"sk-valid-shape\"}"),
        ("POST", "/api/api-keys", Json, "{\"provider\":\"openai\",\"api_key\":12345}"),
        ("POST", "/api/api-keys", Json, "{\"provider\":\"openai\",\"api_key\":\"sk-a\",\"api_key\":\"sk-b\"}"),
        ("POST", "/api/api-keys", Json, "{\"provider\":\"openai\",\"api_key\":\"sk-valid-shape\",\"is_admin\":true}"),
        ("POST", "/api/api-keys", "text/plain", "{\"provider\":\"openai\",\"api_key\":\"sk-valid-shape\"}"),
        ("POST", "/api/api-keys", Json, "{\"provider\":\"openai\",\"api_key\":\"{x:20000}\"}"),
        ("DELETE", "/api/api-keys/not-a-uuid", null, null),
        ("DELETE", "/api/api-keys/{unknown}", null, null),
        ("DELETE", "/api/api-keys/{key}{key}", null, null),
    ];

    private static readonly (string, string, string?, string?)[] CompletionCases =
    [
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"\"}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\" \\n\\t \"}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":null}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":[\"hi\"]}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"hi\",\"temperature\":3}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"hi\",\"temperature\":\"hot\"}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"hi\",\"temperature\":1e400}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"hi\",\"max_tokens\":-5}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"hi\",\"max_tokens\":1000000000000}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"hi\",\"max_tokens\":1.5}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"{x:1000001}\"}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"hi\",\"stream\":false}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"hi\",\"content\":\"there\"}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"nul\\u0000byte\"}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"{bad-utf8}\"}"),
        ("POST", "/api/chats/{chat}/completions", Json, "{\"content\":\"half \\udc00 pair\"}"),
        ("POST", "/api/chats/{chat}/completions", "text/plain", "{\"content\":\"hi\"}"),
        ("POST", "/api/chats/{chat}/completions", null, "{\"content\":\"hi\"}"),
        ("POST", "/api/chats/not-a-uuid/completions", Json, "{\"content\":\"hi\"}"),
        ("POST", "/api/chats/{unknown}/completions", Json, "{\"content\":\"hi\"}"),
        ("GET", "/api/chats/{chat}/completions", null, null),
    ];

    private static readonly (string, string, string?, string?)[] RoutingCases =
    [
        ("GET", "/api/nothing-here", null, null),
        ("PUT", "/api/chats", Json, "{}"),
        ("POST", "/health", Json, "{}"),
        ("DELETE", "/api/models", null, null),
        ("GET", "/api/chats/{chat}/messages/extra", null, null),
    ];

    private const string Merge = "\"merge_provider\":\"openai\",\"merge_model\":\"gpt-4o\"";

    private static readonly (string, string, string?, string?)[] MergeCases =
    [
        ("POST", "/api/merge", Json, "{"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[\"{chat}\"]," + Merge + "}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[]," + Merge + "}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[\"{chat}\",\"{chat}\"]," + Merge + "}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[\"{chat}\",\"not-a-uuid\"]," + Merge + "}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[\"{chat}\",\"{unknown}\"]," + Merge + "}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[\"{chat}\",null]," + Merge + "}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[1,2]," + Merge + "}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":\"{chat}\"," + Merge + "}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[\"{chat}\",\"{unknown}\"],\"merge_provider\":\"cohere\",\"merge_model\":\"m\"}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[\"{chat}\",\"{unknown}\"],\"merge_provider\":\"openai\",\"merge_model\":\"\"}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[\"{chat}\",\"{unknown}\"]," + Merge + ",\"mode\":\"shuffle\"}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[\"{chat}\",\"{unknown}\"]," + Merge + ",\"title\":\"{x:501}\"}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[\"{chat}\",\"{unknown}\"]," + Merge + ",\"colour\":\"red\"}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[\"{chat}\",\"{unknown}\"]," + Merge + ",\"instructions\":\"nul\\u0000\"}"),
        ("POST", "/api/merge", Json, "{\"chat_ids\":[\"{chat}\",\"{unknown}\"]," + Merge + ",\"instructions\":\"{x:17000000}\"}"),
        ("POST", "/api/merge", "text/plain", "{\"chat_ids\":[\"{chat}\",\"{unknown}\"]," + Merge + "}"),
        ("GET", "/api/merge", null, null),
        ("GET", "/api/merges?limit=-1", null, null),
        ("GET", "/api/merges?offset=-3", null, null),
        ("GET", "/api/merges?limit=many", null, null),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Hostile_request_gets_a_4xx_with_a_detail_and_changes_nothing(string method, string path, string? contentType, string? body)
    {
        var before = await server.SnapshotAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), Fill(path));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Bytes(Fill(body)));
            if (contentType is not null)
                request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType + (contentType == Json ? "; charset=utf-8" : ""));
            // As curl does for large bodies: the server can refuse before the body is sent.
            request.Headers.ExpectContinue = request.Content.Headers.ContentLength > 1_000_000;
        }

        var response = await server.Client.SendAsync(request);

        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status is >= 400 and < 500, $"{method} {path}: {status} {text}");
        var detail = await HttpAssert.ProblemAsync(response, response.StatusCode);
        Assert.DoesNotContain("   at ", text);
        // The client shows the detail to people: fields and JSON kinds, never our .NET types.
        Assert.DoesNotMatch(DotNetTypeName(), detail);
        Assert.Equal(before, await server.SnapshotAsync());
    }

    [Theory]
    [InlineData("/api/chats/{chat}/completions", "{\"content\":\"hi\",\"max_tokens\":\"many\"}", "max_tokens: the value has the wrong type.")]
    [InlineData("/api/chats/{chat}/completions", "[\"hi\"]", "the body must be a JSON object.")]
    [InlineData("/api/merge", "{\"chat_ids\":{},\"merge_provider\":\"openai\",\"merge_model\":\"m\"}", "chat_ids: an array is expected.")]
    [InlineData("/api/api-keys", "{\"provider\":\"openai\",\"api_key\":\"a\",\"api_key\":\"b\"}", "the field 'api_key' is given more than once.")]
    public async Task A_body_of_the_wrong_shape_is_described_by_its_fields(string path, string body, string expected)
    {
        var response = await server.Client.PostAsync(Fill(path), new StringContent(Fill(body), Encoding.UTF8, Json));

        var detail = await HttpAssert.ProblemAsync(response, System.Net.HttpStatusCode.BadRequest);
        Assert.Equal("Invalid JSON body: " + expected, detail);
    }

    [GeneratedRegex(@"\b(?:ChatMerge|System|Microsoft)\.[A-Z]")]
    private static partial Regex DotNetTypeName();

    [Fact]
    public void The_matrix_has_at_least_sixty_cases() => Assert.True(Cases().Count >= 60, $"{Cases().Count} cases");

    private string Fill(string text) =>
        Letters().Replace(text.Replace("{chat}", server.ChatId).Replace("{key}", server.KeyId).Replace("{unknown}", Guid.CreateVersion7().ToString()),
            m => new string('x', int.Parse(m.Groups[1].Value)));

    // 0xC3 0x28: a two-byte sequence whose second byte is not a continuation byte.
    private static byte[] Bytes(string text)
    {
        var parts = text.Split("{bad-utf8}");
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(parts[0]));
        foreach (var part in parts.Skip(1))
        {
            bytes.AddRange([0xC3, 0x28, 0xFF]);
            bytes.AddRange(Encoding.UTF8.GetBytes(part));
        }
        return [.. bytes];
    }

    [GeneratedRegex(@"\{x:(\d+)\}")]
    private static partial Regex Letters();
}
