using System.Net;
using System.Net.Http.Json;
using System.Text;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Api;

public sealed class KeysAndModelsApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string SecretKey = "sk-test-0123456789abcdefSECRET";
    private HttpClient Client => server.Client;

    [Theory]
    [InlineData("/api/api-keys")]
    [InlineData("/api/api-keys/")]
    public async Task Store_returns_201_without_the_key(string path)
    {
        var response = await Client.PostAsJsonAsync(path, new { provider = "gemini", api_key = SecretKey });
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.DoesNotContain(SecretKey, body);
        Assert.DoesNotContain("api_key", body);
        var key = await HttpAssert.JsonAsync(new HttpResponseMessage(response.StatusCode) { Content = new StringContent(body) }, HttpStatusCode.Created);
        Assert.Equal("gemini", key.GetProperty("provider").GetString());
        Assert.True(key.GetProperty("is_active").GetBoolean());
    }

    [Fact]
    public async Task Storing_again_for_a_provider_replaces_the_key_with_the_same_id()
    {
        var first = await HttpAssert.JsonAsync(await Client.PostAsJsonAsync("/api/api-keys", new { provider = "anthropic", api_key = "first-key" }), HttpStatusCode.Created);
        var second = await HttpAssert.JsonAsync(await Client.PostAsJsonAsync("/api/api-keys", new { provider = "anthropic", api_key = "second-key" }), HttpStatusCode.Created);

        Assert.Equal(first.GetProperty("id").GetString(), second.GetProperty("id").GetString());
        var list = await HttpAssert.JsonAsync(await Client.GetAsync("/api/api-keys"));
        Assert.Single(list.EnumerateArray(), k => k.GetProperty("provider").GetString() == "anthropic");
    }

    [Fact]
    public async Task Storing_a_providers_key_many_times_at_once_keeps_one_key()
    {
        // On PostgreSQL the stores race between reading the provider's key and inserting it.
        var stores = Enumerable.Range(0, 12).Select(i => Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = $"racing-key-{i}" }));
        var responses = await Task.WhenAll(stores);

        var ids = new HashSet<string?>();
        foreach (var response in responses)
            ids.Add((await HttpAssert.JsonAsync(response, HttpStatusCode.Created)).GetProperty("id").GetString());
        Assert.Single(ids);
        var list = await HttpAssert.JsonAsync(await Client.GetAsync("/api/api-keys"));
        Assert.Single(list.EnumerateArray(), k => k.GetProperty("provider").GetString() == "openai");
    }

    [Fact]
    public async Task Validating_with_no_key_anywhere_says_invalid_and_how_to_add_one()
    {
        var keys = await HttpAssert.JsonAsync(await Client.GetAsync("/api/api-keys"));
        foreach (var key in keys.EnumerateArray().Where(k => k.GetProperty("provider").GetString() == "gemini"))
            await Client.DeleteAsync($"/api/api-keys/{key.GetProperty("id").GetString()}");

        var result = await HttpAssert.JsonAsync(await Client.PostAsJsonAsync("/api/api-keys/validate", new { provider = "gemini" }));

        Assert.False(result.GetProperty("valid").GetBoolean());
        Assert.Equal("gemini", result.GetProperty("provider").GetString());
        Assert.Contains("GOOGLE_API_KEY", result.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("/api/api-keys")]
    [InlineData("/api/api-keys/")]
    public async Task List_never_contains_the_key(string path)
    {
        await Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = SecretKey });
        var body = await (await Client.GetAsync(path)).Content.ReadAsStringAsync();

        Assert.Contains("\"openai\"", body);
        Assert.DoesNotContain(SecretKey, body);
        Assert.DoesNotContain("encrypted", body);
    }

    [Fact]
    public async Task The_database_file_never_holds_the_key_in_plaintext()
    {
        const string marker = "sk-plaintext-probe-7f3a9c";
        await Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = marker });
        if (server.Database.IsPostgres)
            Assert.Equal(0L, await server.QueryScalarAsync<long>($"SELECT COUNT(*) FROM api_keys WHERE encrypted_key LIKE '%{marker}%'"));
        else
        {
            await server.QueryScalarAsync<long>("PRAGMA wal_checkpoint(TRUNCATE)");
            foreach (var file in Directory.GetFiles(server.Directory, "chat_app.db*"))
            {
                await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream, Encoding.Latin1);
                Assert.DoesNotContain(marker, await reader.ReadToEndAsync());
            }
        }
        Assert.NotEqual(marker, await server.QueryScalarAsync<string>("SELECT encrypted_key FROM api_keys WHERE provider = 'openai'"));
    }

    [Fact]
    public async Task Delete_removes_the_key_and_a_second_delete_is_404()
    {
        var key = await HttpAssert.JsonAsync(await Client.PostAsJsonAsync("/api/api-keys", new { provider = "gemini", api_key = "to-delete" }), HttpStatusCode.Created);
        var id = key.GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/api-keys/{id}")).StatusCode);
        await HttpAssert.ProblemAsync(await Client.DeleteAsync($"/api/api-keys/{id}"), HttpStatusCode.NotFound);
        await HttpAssert.ProblemAsync(await Client.DeleteAsync("/api/api-keys/not-a-uuid"), HttpStatusCode.BadRequest);
    }

    public static TheoryData<string> BadKeyBodies => new()
    {
        "{\"provider\":\"openai\"}",
        "{\"api_key\":\"k\"}",
        "{\"provider\":\"cohere\",\"api_key\":\"k\"}",
        "{\"provider\":\"openai\",\"api_key\":\"\"}",
        "{\"provider\":\"openai\",\"api_key\":\"has space\"}",
        "{\"provider\":\"openai\",\"api_key\":\"line\\nbreak\"}",
        "{\"provider\":\"openai\",\"api_key\":\"" + new string('k', 1001) + "\"}",
        "{\"provider\":\"openai\",\"api_key\":12}",
        "{bad json",
    };

    [Theory]
    [MemberData(nameof(BadKeyBodies))]
    public async Task Bad_key_body_returns_400_and_changes_nothing(string body)
    {
        var before = await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM api_keys");
        await HttpAssert.ProblemAsync(await Client.PostJsonTextAsync("/api/api-keys", body), HttpStatusCode.BadRequest);
        Assert.Equal(before, await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM api_keys"));
    }

    [Fact]
    public async Task Models_lists_every_provider_with_the_spec_models()
    {
        var models = await HttpAssert.JsonAsync(await Client.GetAsync("/api/models"));

        var openai = models.GetProperty("openai").EnumerateArray().Select(m => m.GetString()).ToList();
        var anthropic = models.GetProperty("anthropic").EnumerateArray().Select(m => m.GetString()).ToList();
        var gemini = models.GetProperty("gemini").EnumerateArray().Select(m => m.GetString()).ToList();
        Assert.Subset(openai.ToHashSet(), new HashSet<string?> { "gpt-4o", "gpt-4o-mini", "gpt-4-turbo", "gpt-3.5-turbo", "o1", "o1-mini" });
        Assert.Subset(anthropic.ToHashSet(), new HashSet<string?> { "claude-sonnet-4-20250514", "claude-haiku-4-20250414", "claude-opus-4-20250514" });
        Assert.Subset(gemini.ToHashSet(), new HashSet<string?> { "gemini-2.0-flash", "gemini-1.5-pro", "gemini-1.5-flash" });
    }

    [Fact]
    public async Task Health_answers_ok()
    {
        var health = await HttpAssert.JsonAsync(await Client.GetAsync("/health"));
        Assert.Equal("ok", health.GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpenApi_document_lists_every_endpoint()
    {
        var doc = await HttpAssert.JsonAsync(await Client.GetAsync("/openapi/v1.json"));
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Subset(paths, new HashSet<string> { "/health", "/api/chats", "/api/chats/{id}", "/api/chats/{id}/messages", "/api/api-keys", "/api/api-keys/{id}", "/api/models" });
        var docs = await Client.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
    }

    [Fact]
    public async Task OpenApi_document_types_every_field_as_a_client_sends_it()
    {
        var doc = await HttpAssert.JsonAsync(await Client.GetAsync("/openapi/v1.json"));
        var schemas = doc.GetProperty("components").GetProperty("schemas");
        string Type(string schema, string property) => schemas.GetProperty(schema).GetProperty("properties").GetProperty(property).GetProperty("type") is var type &&
            type.ValueKind == System.Text.Json.JsonValueKind.Array ? string.Join(",", type.EnumerateArray().Select(t => t.GetString())) : type.GetString()!;

        Assert.Equal("string", Type("CreateChatRequest", "model"));
        Assert.Equal("null,string", Type("CreateChatRequest", "system_prompt"));
        Assert.Equal("integer", Type("ChatSummary", "message_count"));
        Assert.Equal("null,number", Type("CompletionRequest", "temperature"));
        var provider = schemas.GetProperty("CreateChatRequest").GetProperty("properties").GetProperty("provider");
        Assert.Equal(["openai", "anthropic", "gemini"], provider.GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
    }
}
