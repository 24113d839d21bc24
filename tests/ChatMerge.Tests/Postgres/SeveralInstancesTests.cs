using System.Net;
using System.Net.Http.Json;
using ChatMerge.Data;
using ChatMerge.Keys;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Postgres;

public sealed class SeveralInstancesTests(Instances instances) : IClassFixture<Instances>
{
    private InstanceServer A => instances.A;
    private InstanceServer B => instances.B;

    [PostgresFact]
    public async Task The_two_instances_listen_on_different_ports()
    {
        Assert.NotEqual(A.BaseAddress.Port, B.BaseAddress.Port);
        Assert.Equal(HttpStatusCode.OK, (await B.Client.GetAsync("/health")).StatusCode);
    }

    [PostgresFact]
    public async Task A_chat_created_on_A_is_listed_and_readable_on_B()
    {
        var chat = await A.CreateChatAsync(title: "made on A", systemPrompt: "be brief");
        var id = chat.GetProperty("id").GetString()!;

        var fetched = await HttpAssert.JsonAsync(await B.Client.GetAsync($"/api/chats/{id}"));
        Assert.Equal("made on A", fetched.GetProperty("title").GetString());
        Assert.Equal("be brief", fetched.GetProperty("system_prompt").GetString());
        Assert.Equal(chat.GetProperty("created_at").GetString(), fetched.GetProperty("created_at").GetString());
        var listed = await HttpAssert.JsonAsync(await B.Client.GetAsync("/api/chats"));
        Assert.Contains(listed.EnumerateArray(), c => c.GetProperty("id").GetString() == id);
    }

    [PostgresFact]
    public async Task A_key_stored_on_A_streams_a_completion_on_B()
    {
        var stored = await A.Client.PostAsJsonAsync("/api/api-keys", new { provider = "anthropic", api_key = Instances.StoredKey });
        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        var chatId = (await A.CreateChatAsync("anthropic", "claude-sonnet-4-5")).GetProperty("id").GetString()!;

        // The simulator accepts no other key and B has none in its environment.
        var result = await B.CompleteAsync(chatId, "hello from B");

        Assert.Equal(200, result.Status);
        Assert.Equal("done", result.Last?.Type);
        Assert.NotEmpty(result.Text("content"));
        var messages = await HttpAssert.JsonAsync(await A.Client.GetAsync($"/api/chats/{chatId}/messages"));
        Assert.Contains(messages.EnumerateArray(), m => m.GetProperty("id").GetString() == result.Last!.Data);
    }

    [PostgresFact]
    public async Task A_merge_on_B_of_chats_made_on_A_holds_both_and_is_readable_on_A()
    {
        await A.Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = Instances.StoredKey });
        var first = (await A.CreateChatAsync(title: "first on A")).GetProperty("id").GetString()!;
        var second = (await A.CreateChatAsync(title: "second on A")).GetProperty("id").GetString()!;
        await A.CompleteAsync(first, "alpha question");
        await A.CompleteAsync(second, "beta question");

        var merge = await Sse.PostAsync(B.Client, "/api/merge", new { chat_ids = new[] { first, second }, merge_provider = "openai", merge_model = "gpt-4o-mini" });

        Assert.Equal("merge_complete", merge.Last?.Type);
        var merged = await HttpAssert.JsonAsync(await A.Client.GetAsync($"/api/chats/{merge.Last!.Data}"));
        Assert.Equal("Merged: first on A + second on A", merged.GetProperty("title").GetString());
        var text = string.Join("\n", merged.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
        Assert.Contains("alpha question", text);
        Assert.Contains("beta question", text);
        var sources = merged.GetProperty("merged_from").GetProperty("source_chat_ids").EnumerateArray().Select(i => i.GetString()).ToList();
        Assert.Equal([first, second], sources);
    }

    [PostgresFact]
    public async Task The_key_ring_in_the_database_holds_no_master_key_in_clear()
    {
        await A.Client.PostAsJsonAsync("/api/api-keys", new { provider = "gemini", api_key = "AIza-ring-probe" });

        Assert.True(await A.QueryScalarAsync<long>("SELECT COUNT(*) FROM data_protection_keys") > 0);
        Assert.Equal(0L, await A.QueryScalarAsync<long>("SELECT COUNT(*) FROM data_protection_keys WHERE xml LIKE '%<masterKey%'"));
        Assert.Equal(0L, await A.QueryScalarAsync<long>("SELECT COUNT(*) FROM data_protection_keys WHERE xml NOT LIKE '%<encryptedKey%'"));
    }

    [PostgresFact]
    public async Task Concurrent_completions_on_one_chat_through_both_instances_lose_nothing()
    {
        await A.Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = Instances.StoredKey });
        var chatId = (await A.CreateChatAsync()).GetProperty("id").GetString()!;
        const int perInstance = 8;

        var results = await Task.WhenAll(Enumerable.Range(0, perInstance * 2)
            .Select(i => (i % 2 == 0 ? A : B).CompleteAsync(chatId, $"question {i}")));

        Assert.All(results, r => Assert.Equal("done", r.Last?.Type));
        var stored = await HttpAssert.JsonAsync(await B.Client.GetAsync($"/api/chats/{chatId}"));
        Assert.Equal(perInstance * 4, stored.GetProperty("message_count").GetInt32());
        var ids = stored.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToHashSet();
        Assert.All(results, r => Assert.Contains(r.Last!.Data, ids));
        for (var i = 0; i < perInstance * 2; i++)
            Assert.Equal(1L, await A.QueryScalarAsync<long>(
                $"SELECT COUNT(*) FROM messages WHERE chat_id = {A.Database.IdLiteral(chatId)} AND role = 'user' AND content = 'question {i}'"));
    }
}
