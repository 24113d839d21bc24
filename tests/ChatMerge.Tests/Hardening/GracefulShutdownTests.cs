using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Hardening;

/// <summary>SIGTERM while answers stream: each stream ends with an error event and its partial answer is stored.</summary>
public sealed class GracefulShutdownTests : ProcessTestBase
{
    [Fact]
    public async Task Sigterm_ends_in_flight_streams_and_stores_their_partial_answers()
    {
        var server = await StartServerAsync();
        var running = new List<LiveStream>();
        try
        {
            foreach (var (provider, model) in Models)
                for (var i = 0; i < 2; i++)
                    running.Add(LiveStream.Start(server.Client, await CreateChatAsync(server.Client, provider, model), $"slow answer {i} [[sim:tokens=400]] [[sim:delay=50]]"));
            await Task.WhenAll(running.Select(s => s.Started));

            var exitCode = await server.TerminateAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, exitCode);
            await Task.WhenAll(running.Select(s => s.Completion));
        }
        finally
        {
            await server.DisposeAsync();
        }

        foreach (var stream in running)
        {
            Assert.Equal("error", stream.Events[^1].Type);
            Assert.Contains("shutting down", stream.Events[^1].Data);
        }

        await using var restarted = await StartServerAsync();
        foreach (var stream in running)
        {
            var messages = await HttpAssert.JsonAsync(await restarted.Client.GetAsync($"/api/chats/{stream.ChatId}/messages"));
            Assert.Equal(2, messages.GetArrayLength());
            Assert.Equal(stream.Content, messages[0].GetProperty("content").GetString());
            Assert.Equal(stream.Seen("content"), messages[1].GetProperty("content").GetString());
            Assert.True(messages[1].GetProperty("incomplete").GetBoolean());
        }
    }
}
