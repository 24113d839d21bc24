using System.Net.Http.Json;
using ChatMerge.Tests.Infrastructure;
using ChatMerge.Tests.MergeApi;

namespace ChatMerge.Tests.Api;

public sealed class StreamHeadersTests(SimulatedServerFixture server) : IClassFixture<SimulatedServerFixture>
{
    // nginx buffers a proxied response unless the upstream says "X-Accel-Buffering: no"; buffered, no
    // event reaches the browser before the stream ends. The original backend sent it on both streams.
    [Fact]
    public async Task Completion_and_merge_streams_tell_a_proxy_not_to_buffer_them()
    {
        var chatId = (await server.CreateChatAsync()).GetProperty("id").GetString()!;
        var a = await server.SeedChatAsync("A", MergeTestData.Conversation("alpha", 1));
        var b = await server.SeedChatAsync("B", MergeTestData.Conversation("beta", 1));

        foreach (var (path, body) in new (string, object)[]
        {
            ($"/api/chats/{chatId}/completions", new { content = "hello" }),
            ("/api/merge", new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini" }),
        })
        {
            using var response = await server.Client.PostAsJsonAsync(path, body);
            var text = await response.Content.ReadAsStringAsync();

            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            Assert.True(response.Headers.TryGetValues("X-Accel-Buffering", out var values), $"{path} has no X-Accel-Buffering header");
            Assert.Equal("no", Assert.Single(values));
            Assert.Contains("data: {\"type\":", text);
        }
    }
}
