using System.Net.Http.Json;
using System.Net;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.MergeApi;

/// <summary>A server without provider keys: every request here must be refused before any stream starts.</summary>
public sealed class MergeValidationTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private async Task<(string A, string B)> TwoChatsAsync() =>
        (await server.SeedChatAsync("A", MergeTestData.Conversation("a", 1)), await server.SeedChatAsync("B", MergeTestData.Conversation("b", 1)));

    [Theory]
    [InlineData("{\"chat_ids\":[],\"merge_provider\":\"openai\",\"merge_model\":\"gpt-4o\"}", "at least 2")]
    [InlineData("{\"chat_ids\":[\"ID_A\"],\"merge_provider\":\"openai\",\"merge_model\":\"gpt-4o\"}", "at least 2")]
    [InlineData("{\"merge_provider\":\"openai\",\"merge_model\":\"gpt-4o\"}", "chat_ids")]
    [InlineData("{\"chat_ids\":[\"ID_A\",\"ID_A\"],\"merge_provider\":\"openai\",\"merge_model\":\"gpt-4o\"}", "more than once")]
    [InlineData("{\"chat_ids\":[\"ID_A\",\"not-a-uuid\"],\"merge_provider\":\"openai\",\"merge_model\":\"gpt-4o\"}", "not-a-uuid")]
    [InlineData("{\"chat_ids\":[\"ID_A\",null],\"merge_provider\":\"openai\",\"merge_model\":\"gpt-4o\"}", "UUID")]
    [InlineData("{\"chat_ids\":[\"ID_A\",\"ID_B\"],\"merge_provider\":\"mistral\",\"merge_model\":\"x\"}", "merge_provider")]
    [InlineData("{\"chat_ids\":[\"ID_A\",\"ID_B\"],\"merge_model\":\"gpt-4o\"}", "merge_provider")]
    [InlineData("{\"chat_ids\":[\"ID_A\",\"ID_B\"],\"merge_provider\":\"openai\",\"merge_model\":\"  \"}", "merge_model")]
    [InlineData("{\"chat_ids\":[\"ID_A\",\"ID_B\"],\"merge_provider\":\"openai\"}", "merge_model")]
    [InlineData("{\"chat_ids\":[\"ID_A\",\"ID_B\"],\"merge_provider\":\"openai\",\"merge_model\":\"gpt-4o\",\"mode\":\"shuffle\"}", "mode")]
    [InlineData("{\"chat_ids\":[\"ID_A\",\"ID_B\"],\"merge_provider\":\"openai\",\"merge_model\":\"gpt-4o\",\"colour\":\"red\"}", "colour")]
    [InlineData("{\"chat_ids\":\"ID_A\",\"merge_provider\":\"openai\",\"merge_model\":\"gpt-4o\"}", "")]
    public async Task Bad_merge_request_is_400_with_a_detail_and_stores_nothing(string template, string mentioned)
    {
        var (a, b) = await TwoChatsAsync();
        var chats = await server.CountAsync("chats");

        var response = await server.Client.PostJsonTextAsync("/api/merge", template.Replace("ID_A", a).Replace("ID_B", b));

        var detail = await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(mentioned, detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(chats, await server.CountAsync("chats"));
        Assert.Equal(0, await server.CountAsync("merge_history"));
    }

    [Fact]
    public async Task Merge_without_a_key_for_the_merge_provider_is_400_naming_the_provider()
    {
        var (a, b) = await TwoChatsAsync();

        var response = await server.Client.PostAsJsonAsync("/api/merge", new { chat_ids = new[] { a, b }, merge_provider = "anthropic", merge_model = "claude-sonnet-4-5" });

        var detail = await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("anthropic", detail);
        Assert.Contains("ANTHROPIC_API_KEY", detail);
    }

    [Theory]
    [InlineData("synthesize")]
    [InlineData("concatenate")]
    public async Task Chats_without_any_message_are_refused_before_anything_streams(string mode)
    {
        string a = (await server.CreateChatAsync(title: "Empty A", systemPrompt: "Be brief.")).GetProperty("id").GetString()!,
            b = (await server.CreateChatAsync(title: "Empty B")).GetProperty("id").GetString()!;
        var chats = await server.CountAsync("chats");

        var response = await server.Client.PostAsJsonAsync("/api/merge", new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o", mode });

        Assert.Contains("no messages", await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest));
        Assert.Equal(chats, await server.CountAsync("chats"));
    }

    [Fact]
    public async Task Merge_with_unknown_chat_returns_404_naming_it()
    {
        var (a, _) = await TwoChatsAsync();
        var unknown = Guid.CreateVersion7().ToString();

        var response = await server.Client.PostAsJsonAsync("/api/merge", new { chat_ids = new[] { a, unknown }, merge_provider = "openai", merge_model = "gpt-4o" });

        var detail = await HttpAssert.ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains(unknown, detail);
    }

    [Fact]
    public async Task Merge_with_several_unknown_chats_names_each_of_them()
    {
        string[] unknown = [Guid.CreateVersion7().ToString(), Guid.CreateVersion7().ToString()];

        var response = await server.Client.PostAsJsonAsync("/api/merge", new { chat_ids = unknown, merge_provider = "openai", merge_model = "gpt-4o" });

        var detail = await HttpAssert.ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.All(unknown, id => Assert.Contains(id, detail));
    }

    [Fact]
    public async Task Merge_list_rejects_a_bad_limit_and_is_empty_before_any_merge()
    {
        await HttpAssert.ProblemAsync(await server.Client.GetAsync("/api/merges?limit=0"), HttpStatusCode.BadRequest);
        Assert.Equal(0, (await HttpAssert.JsonAsync(await server.Client.GetAsync("/api/merges"))).GetArrayLength());
    }
}
