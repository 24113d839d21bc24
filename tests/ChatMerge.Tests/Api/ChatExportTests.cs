using System.Net;
using ChatMerge.Data;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Api;

/// <summary><c>GET /api/chats/{id}/export</c>: a chat as a Markdown or JSON file.</summary>
public sealed class ChatExportTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private HttpClient Client => server.Client;

    private async Task<Guid> ChatAsync(string title, string? systemPrompt = null)
    {
        var chat = await server.CreateChatAsync(model: "gpt-4o", title: title, systemPrompt: systemPrompt);
        return chat.GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task A_chat_is_a_markdown_file_with_every_message_its_author_time_and_reasoning()
    {
        var id = await ChatAsync("Async in Python?", systemPrompt: "You are a Python expert.\n");
        var writer = server.Services.GetRequiredService<ChatMessages>();
        await writer.AppendAsync(id, [new Message { ChatId = id, Role = "user", Content = "How do I use async/await?" }], default);
        await writer.AppendAsync(id, [new Message
        {
            ChatId = id, Role = "assistant", Content = "Use `asyncio.run`.\n\n```python\nawait x\n```\n", ReasoningTrace = "The user asks about asyncio.",
            Provider = "openai", Model = "gpt-4o",
        }], default);
        await writer.AppendAsync(id, [new Message
        {
            ChatId = id, Role = "assistant", Content = "And then", IsComplete = false, Provider = "anthropic", Model = "claude-sonnet-4-5",
        }], default);

        using var response = await Client.GetAsync($"/api/chats/{id}/export");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/markdown", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("async-in-python.md", response.Content.Headers.ContentDisposition.FileNameStar);
        var times = (await HttpAssert.JsonAsync(await Client.GetAsync($"/api/chats/{id}"))) is var chat
            ? chat.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("created_at").GetDateTime()).Prepend(chat.GetProperty("created_at").GetDateTime())
                .Select(t => t.ToString("yyyy-MM-dd HH:mm:ss 'UTC'")).ToList()
            : throw new InvalidOperationException();
        Assert.Equal($"""
            # Async in Python?

            - Model: openai / gpt-4o
            - Created: {times[0]}
            - Messages: 3

            ## System prompt

            You are a Python expert.

            ---

            ### User · {times[1]}

            How do I use async/await?

            ---

            ### Assistant (openai / gpt-4o) · {times[2]}

            <details>
            <summary>Reasoning</summary>

            The user asks about asyncio.

            </details>

            Use `asyncio.run`.

            ```python
            await x
            ```

            ---

            ### Assistant (anthropic / claude-sonnet-4-5) · {times[3]}

            And then

            *(incomplete: the answer was cut short)*

            """.ReplaceLineEndings("\n"), (await response.Content.ReadAsStringAsync()).ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task As_json_it_is_the_chat_as_read_through_the_api_and_a_merged_chat_names_its_sources()
    {
        var source = await ChatAsync("Left");
        var merged = await ChatAsync("Merged: Left + Right");
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
            db.MergeHistory.Add(new MergeHistory { MergedChatId = merged, SourceChatIds = [source], Provider = "gemini", Model = "gemini-2.5-pro", Mode = "synthesize" });
            await db.SaveChangesAsync();
        }

        using var json = await Client.GetAsync($"/api/chats/{merged}/export?format=JSON");
        Assert.Equal("application/json", json.Content.Headers.ContentType!.MediaType);
        Assert.Equal("merged-left-right.json", json.Content.Headers.ContentDisposition!.FileNameStar);
        Assert.Equal(await Client.GetStringAsync($"/api/chats/{merged}"), await json.Content.ReadAsStringAsync());

        var markdown = await Client.GetStringAsync($"/api/chats/{merged}/export?format=md");
        Assert.Contains($"- Merged (synthesize, gemini / gemini-2.5-pro) from chats `{source}`\n", markdown.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_title_stays_on_its_heading_and_gives_a_file_name()
    {
        var id = await ChatAsync("Ünïcödé\nnotes: 中文 / ### 😀");
        using var response = await Client.GetAsync($"/api/chats/{id}/export");

        Assert.StartsWith("# Ünïcödé notes: 中文 / ### 😀\n", (await response.Content.ReadAsStringAsync()).ReplaceLineEndings("\n"));
        Assert.Equal("ünïcödé-notes-中文.md", response.Content.Headers.ContentDisposition!.FileNameStar);

        var untitled = await ChatAsync("???");
        using var plain = await Client.GetAsync($"/api/chats/{untitled}/export?format=json");
        Assert.Equal("chat.json", plain.Content.Headers.ContentDisposition!.FileNameStar);
    }

    [Fact]
    public async Task An_unknown_chat_an_invalid_id_or_format_is_refused_with_a_detail()
    {
        var id = await ChatAsync("Refusals");
        Assert.Equal("format must be markdown or json.",
            await HttpAssert.ProblemAsync(await Client.GetAsync($"/api/chats/{id}/export?format=pdf"), HttpStatusCode.BadRequest));
        await HttpAssert.ProblemAsync(await Client.GetAsync($"/api/chats/{Guid.NewGuid()}/export"), HttpStatusCode.NotFound);
        await HttpAssert.ProblemAsync(await Client.GetAsync("/api/chats/not-an-id/export"), HttpStatusCode.BadRequest);
    }
}
