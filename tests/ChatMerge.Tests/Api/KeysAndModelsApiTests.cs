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
}
