using System.Net;
using System.Net.Http.Json;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ChatMerge.Chats;
using ChatMerge.Data;
using ChatMerge.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatMerge.Tests.Api;

public sealed class ChatsApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private HttpClient Client => server.Client;

    [Theory]
    [InlineData("/api/chats")]
    [InlineData("/api/chats/")]
    public async Task Create_returns_201_with_the_chat_on_both_slash_forms(string path)
    {
        var response = await Client.PostAsJsonAsync(path, new { title = "Python Questions", provider = "openai", model = "gpt-4o", system_prompt = "You are a Python expert." });

        var chat = await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
        Assert.Equal("Python Questions", chat.GetProperty("title").GetString());
        Assert.Equal("openai", chat.GetProperty("provider").GetString());
        Assert.Equal("gpt-4o", chat.GetProperty("model").GetString());
        Assert.Equal("You are a Python expert.", chat.GetProperty("system_prompt").GetString());
        Assert.Equal(0, chat.GetProperty("message_count").GetInt32());
        Assert.Equal(0, chat.GetProperty("messages").GetArrayLength());
        Assert.True(Guid.TryParse(chat.GetProperty("id").GetString(), out _));
        Assert.EndsWith("Z", chat.GetProperty("created_at").GetString());
        Assert.Equal($"/api/chats/{chat.GetProperty("id").GetString()}", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Create_without_title_names_the_chat_New_Chat()
    {
        var chat = await server.CreateChatAsync("anthropic", "claude-sonnet-4-5");
        Assert.Equal("New Chat", chat.GetProperty("title").GetString());
        Assert.Equal(JsonValueKind.Null, chat.GetProperty("system_prompt").ValueKind);
    }

    [Theory]
    [InlineData("/api/chats")]
    [InlineData("/api/chats/")]
    public async Task List_returns_newest_first_with_message_counts_on_both_slash_forms(string path)
    {
        var older = await server.CreateChatAsync(title: "older");
        var newer = await server.CreateChatAsync(title: "newer");

        var list = await HttpAssert.JsonAsync(await Client.GetAsync(path));
        var ids = list.EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList();

        Assert.True(ids.IndexOf(newer.GetProperty("id").GetString()) < ids.IndexOf(older.GetProperty("id").GetString()));
        Assert.All(list.EnumerateArray(), c => Assert.Equal(0, c.GetProperty("message_count").GetInt32()));
        Assert.All(list.EnumerateArray(), c => Assert.False(c.TryGetProperty("messages", out _)));
    }

    [Fact]
    public async Task List_pages_with_limit_and_offset()
    {
        for (var i = 0; i < 3; i++)
            await server.CreateChatAsync(title: $"page {i}");
        var all = await HttpAssert.JsonAsync(await Client.GetAsync("/api/chats"));
        var page = await HttpAssert.JsonAsync(await Client.GetAsync("/api/chats?limit=2&offset=1"));

        Assert.Equal(2, page.GetArrayLength());
        Assert.Equal(all[1].GetProperty("id").GetString(), page[0].GetProperty("id").GetString());
        Assert.Equal(all[2].GetProperty("id").GetString(), page[1].GetProperty("id").GetString());
    }

    [Fact]
    public async Task List_writes_exactly_what_serializing_the_summaries_writes()
    {
        await server.CreateChatAsync(title: "Quotes \" and \\ <b>&amp;</b> 'single'", systemPrompt: "Ünïcödé, 中文, emoji 😀\nnew line\ttab \u2028");
        var plain = await server.CreateChatAsync(title: "plain");
        // Times as another writer may have stored them: without a fraction, with a short one.
        await server.Database.ExecuteAsync(
            $"UPDATE chats SET created_at = '2025-01-02 03:04:05', updated_at = '2025-01-02 03:04:05.5' WHERE id = {server.Database.IdLiteral(plain.GetProperty("id").GetString()!)}");

        foreach (var (limit, offset) in new (int?, int)[] { (null, 0), (2, 0), (null, 1), (3, 2) })
        {
            var query = (limit is null ? "" : $"limit={limit}&") + $"offset={offset}";
            var written = await Client.GetStringAsync("/api/chats?" + query);

            await using var scope = server.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
            var json = scope.ServiceProvider.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            Assert.Equal(JsonSerializer.Serialize(await ChatQueries.ListAsync(db, limit, offset, default), json), written);
        }
    }

    [Theory]
    [InlineData("2025-01-02 03:04:05")]
    [InlineData("2025-01-02 03:04:05.5")]
    [InlineData("2025-01-02 03:04:05.1234567")]
    [InlineData("2024-02-29 23:59:59.0000001")]
    [InlineData("2025-01-02T03:04:05")]
    [InlineData("2025-01-02")]
    public void A_stored_time_reads_as_Microsoft_Data_Sqlite_reads_it_in_UTC(string stored)
    {
        var time = SqliteRows.ReadTime(Encoding.UTF8.GetBytes(stored));

        Assert.Equal(DateTime.Parse(stored, CultureInfo.InvariantCulture), time);
        Assert.Equal(DateTimeKind.Utc, time.Kind);
    }

    [Theory]
    [InlineData("2025-02-30 03:04:05")]
    [InlineData("2025-13-02 03:04:05")]
    [InlineData("not a time")]
    public void A_stored_time_that_is_no_time_fails_as_it_would_through_the_provider(string stored) =>
        Assert.Throws<FormatException>(() => SqliteRows.ReadTime(Encoding.UTF8.GetBytes(stored)));

    [Fact]
    public void A_stored_id_reads_from_text_in_either_case_and_from_a_blob()
    {
        var id = Guid.NewGuid();

        Assert.Equal(id, SqliteRows.ReadId(Encoding.UTF8.GetBytes(id.ToString().ToUpperInvariant())));
        Assert.Equal(id, SqliteRows.ReadId(Encoding.UTF8.GetBytes(id.ToString())));
        Assert.Equal(id, SqliteRows.ReadId(id.ToByteArray()));
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=-1")]
    [InlineData("limit=100000")]
    [InlineData("offset=-5")]
    [InlineData("limit=abc")]
    public async Task List_with_bad_paging_returns_400(string query) =>
        await HttpAssert.ProblemAsync(await Client.GetAsync("/api/chats?" + query), HttpStatusCode.BadRequest);

    [Fact]
    public async Task Get_returns_the_chat_with_messages()
    {
        var created = await server.CreateChatAsync(title: "get me");
        var id = created.GetProperty("id").GetString();

        var chat = await HttpAssert.JsonAsync(await Client.GetAsync($"/api/chats/{id}"));

        Assert.Equal("get me", chat.GetProperty("title").GetString());
        Assert.Equal(JsonValueKind.Array, chat.GetProperty("messages").ValueKind);
        Assert.Equal(JsonValueKind.Null, chat.GetProperty("merged_from").ValueKind);
    }

    [Fact]
    public async Task Patch_updates_title_and_system_prompt_only_when_given()
    {
        var id = (await server.CreateChatAsync(title: "before", systemPrompt: "old prompt")).GetProperty("id").GetString();

        var renamed = await HttpAssert.JsonAsync(await Client.PatchJsonAsync($"/api/chats/{id}", new { title = "after" }));
        Assert.Equal("after", renamed.GetProperty("title").GetString());
        Assert.Equal("old prompt", renamed.GetProperty("system_prompt").GetString());

        var reprompted = await HttpAssert.JsonAsync(await Client.PatchJsonAsync($"/api/chats/{id}", new { system_prompt = "new prompt" }));
        Assert.Equal("after", reprompted.GetProperty("title").GetString());
        Assert.Equal("new prompt", reprompted.GetProperty("system_prompt").GetString());

        var fetched = await HttpAssert.JsonAsync(await Client.GetAsync($"/api/chats/{id}"));
        Assert.Equal("new prompt", fetched.GetProperty("system_prompt").GetString());
    }

    [Fact]
    public async Task Patch_that_changes_nothing_leaves_the_chat_where_it_was_in_the_list()
    {
        var chat = await server.CreateChatAsync(title: "steady");
        var id = chat.GetProperty("id").GetString();
        var updatedAt = chat.GetProperty("updated_at").GetString();

        var same = await HttpAssert.JsonAsync(await Client.PatchJsonAsync($"/api/chats/{id}", new { title = "steady" }));
        var empty = await HttpAssert.JsonAsync(await Client.PatchJsonAsync($"/api/chats/{id}", new { }));

        Assert.Equal(updatedAt, same.GetProperty("updated_at").GetString());
        Assert.Equal(updatedAt, empty.GetProperty("updated_at").GetString());
        var changed = await HttpAssert.JsonAsync(await Client.PatchJsonAsync($"/api/chats/{id}", new { title = "moved" }));
        Assert.NotEqual(updatedAt, changed.GetProperty("updated_at").GetString());
    }

    [Fact]
    public async Task Patch_with_a_blank_system_prompt_clears_it_as_create_does()
    {
        var id = (await server.CreateChatAsync(systemPrompt: "old prompt")).GetProperty("id").GetString();

        var chat = await HttpAssert.JsonAsync(await Client.PatchJsonAsync($"/api/chats/{id}", new { system_prompt = "   " }));

        Assert.Equal(JsonValueKind.Null, chat.GetProperty("system_prompt").ValueKind);
    }

    [Fact]
    public async Task Patch_racing_a_delete_answers_404_never_500()
    {
        // On PostgreSQL the chat can go between the PATCH's read and its write.
        for (var i = 0; i < 25; i++)
        {
            var id = (await server.CreateChatAsync()).GetProperty("id").GetString();
            var patch = Client.PatchJsonAsync($"/api/chats/{id}", new { title = $"race {i}" });
            var delete = Client.DeleteAsync($"/api/chats/{id}");
            var (patched, deleted) = (await patch, await delete);

            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            Assert.True(patched.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"PATCH answered {(int)patched.StatusCode}");
            if (patched.StatusCode == HttpStatusCode.OK)
                Assert.Equal($"race {i}", (await HttpAssert.JsonAsync(patched)).GetProperty("title").GetString());
        }
    }

    [Fact]
    public async Task Patch_can_switch_provider_and_model_to_continue_with_another_model()
    {
        var id = (await server.CreateChatAsync("openai", "gpt-4o")).GetProperty("id").GetString();

        var chat = await HttpAssert.JsonAsync(await Client.PatchJsonAsync($"/api/chats/{id}", new { provider = "gemini", model = "gemini-2.5-flash" }));

        Assert.Equal("gemini", chat.GetProperty("provider").GetString());
        Assert.Equal("gemini-2.5-flash", chat.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Delete_returns_204_and_the_chat_is_gone()
    {
        var id = (await server.CreateChatAsync()).GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/chats/{id}")).StatusCode);
        await HttpAssert.ProblemAsync(await Client.GetAsync($"/api/chats/{id}"), HttpStatusCode.NotFound);
        await HttpAssert.ProblemAsync(await Client.DeleteAsync($"/api/chats/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Messages_of_a_new_chat_is_an_empty_list()
    {
        var id = (await server.CreateChatAsync()).GetProperty("id").GetString();
        var messages = await HttpAssert.JsonAsync(await Client.GetAsync($"/api/chats/{id}/messages"));
        Assert.Equal(0, messages.GetArrayLength());
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("PATCH", "")]
    [InlineData("DELETE", "")]
    [InlineData("GET", "/messages")]
    public async Task Unknown_chat_returns_404_naming_it(string method, string suffix)
    {
        var id = Guid.CreateVersion7();
        var request = new HttpRequestMessage(new HttpMethod(method), $"/api/chats/{id}{suffix}");
        if (method == "PATCH")
            request.Content = JsonContent.Create(new { title = "x" });

        var detail = await HttpAssert.ProblemAsync(await Client.SendAsync(request), HttpStatusCode.NotFound);
        Assert.Contains(id.ToString(), detail);
    }

    [Theory]
    [InlineData("GET", "/api/chats/not-a-uuid")]
    [InlineData("DELETE", "/api/chats/123")]
    [InlineData("GET", "/api/chats/zz%20zz/messages")]
    [InlineData("PATCH", "/api/chats/0000")]
    public async Task Malformed_chat_id_returns_400(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "PATCH")
            request.Content = JsonContent.Create(new { title = "x" });
        var detail = await HttpAssert.ProblemAsync(await Client.SendAsync(request), HttpStatusCode.BadRequest);
        Assert.Contains("UUID", detail);
    }

    public static TheoryData<string> BadCreateBodies => new()
    {
        "{\"provider\":\"openai\",",                                   // broken JSON
        "{\"provider\":\"openai\",\"model\":42}",                      // wrong type
        "{\"model\":\"gpt-4o\"}",                                       // missing provider
        "{\"provider\":\"openai\"}",                                    // missing model
        "{\"provider\":\"mistral\",\"model\":\"m\"}",                   // unknown provider
        "{\"provider\":\"openai\",\"model\":\"\"}",                     // empty model
        "{\"provider\":\"openai\",\"model\":\"   \"}",                  // blank model
        "{\"provider\":\"openai\",\"model\":\"m\",\"title\":\"" + new string('t', 501) + "\"}",
        "{\"provider\":\"openai\",\"model\":\"m\",\"system_prompt\":\"" + new string('p', 100_001) + "\"}",
        "[1,2,3]",
        "null",
        "",
        "{\"provider\":\"openai\",\"model\":\"m\",\"unknown_field\":1}",
    };

    [Theory]
    [MemberData(nameof(BadCreateBodies))]
    public async Task Bad_create_body_returns_400_with_detail_and_stores_nothing(string body)
    {
        var before = await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM chats");
        await HttpAssert.ProblemAsync(await Client.PostJsonTextAsync("/api/chats", body), HttpStatusCode.BadRequest);
        Assert.Equal(before, await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM chats"));
    }

    [Theory]
    [InlineData("null", "The request needs a JSON body.")]
    [InlineData("", "The request needs a JSON body.")]
    [InlineData("{\"provider\":\"openai\",\"model\":\"m\",\"bogus\":1}", "Invalid JSON body: unknown field 'bogus'.")]
    [InlineData("{\"provider\":\"openai\",\"model\":\"m\",\"title\":5}", "Invalid JSON body: title: Expected a string, not Number.")]
    public async Task Bad_bodies_are_explained_in_the_clients_words(string body, string detail) =>
        Assert.Equal(detail, await HttpAssert.ProblemAsync(await Client.PostJsonTextAsync("/api/chats", body), HttpStatusCode.BadRequest));

    [Fact]
    public async Task Validation_and_query_errors_name_fields_as_the_client_writes_them()
    {
        var tooLong = await HttpAssert.ProblemAsync(
            await Client.PostAsJsonAsync("/api/chats", new { provider = "openai", model = "m", title = new string('t', 501) }), HttpStatusCode.BadRequest);
        var notANumber = await HttpAssert.ProblemAsync(await Client.GetAsync("/api/chats?limit=abc"), HttpStatusCode.BadRequest);

        Assert.Equal("title must be at most 500 characters long.", tooLong);
        Assert.Equal("limit cannot be 'abc' (a whole number is expected).", notANumber);
    }

    [Fact]
    public async Task Unknown_provider_error_names_the_allowed_ones()
    {
        var detail = await HttpAssert.ProblemAsync(await Client.PostJsonTextAsync("/api/chats", "{\"provider\":\"mistral\",\"model\":\"m\"}"), HttpStatusCode.BadRequest);
        Assert.Contains("openai", detail);
        Assert.Contains("provider", detail);
    }

    [Fact]
    public async Task Patch_with_bad_values_returns_400()
    {
        var id = (await server.CreateChatAsync()).GetProperty("id").GetString();
        await HttpAssert.ProblemAsync(await Client.PatchJsonAsync($"/api/chats/{id}", new { provider = "nope" }), HttpStatusCode.BadRequest);
        await HttpAssert.ProblemAsync(await Client.PatchJsonAsync($"/api/chats/{id}", new { model = "" }), HttpStatusCode.BadRequest);
        await HttpAssert.ProblemAsync(await Client.PatchJsonAsync($"/api/chats/{id}", new { title = new string('x', 501) }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Wrong_content_type_returns_415_with_detail() =>
        await HttpAssert.ProblemAsync(
            await Client.PostAsync("/api/chats", new StringContent("{\"provider\":\"openai\",\"model\":\"m\"}", System.Text.Encoding.UTF8, "text/plain")),
            HttpStatusCode.UnsupportedMediaType);

    [Fact]
    public async Task Unknown_path_returns_404_with_detail() =>
        await HttpAssert.ProblemAsync(await Client.GetAsync("/api/nothing-here"), HttpStatusCode.NotFound);
}
