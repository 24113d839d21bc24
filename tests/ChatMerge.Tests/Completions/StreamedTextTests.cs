using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Completions;

/// <summary>The answer's text as the original client reads it (one JSON object per data line) and as it is stored.</summary>
public sealed class StreamedTextTests(SimulatedServerFixture server) : IClassFixture<SimulatedServerFixture>
{
    public static TheoryData<string, string> Models => new()
    {
        { "openai", "gpt-4o-mini" },
        { "openai", "o4-mini" },
        { "anthropic", "claude-sonnet-4-5" },
        { "gemini", "gemini-2.5-flash" },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Characters_split_across_network_reads_arrive_whole_and_are_stored_as_streamed(string provider, string model)
    {
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;
        const string words = "héllo 中文字 e\u0301 😀 𝄞x";

        var result = await server.CompleteAsync(chatId, words + " [[sim:split-chars]]");

        Assert.Equal("done", result.Last?.Type);
        Assert.DoesNotContain(result.Events, e => e.Data.Contains('\uFFFD'));
        Assert.Equal($"You said: \"{words}\" (1 messages, system: no)", result.Text("content"));
        var answer = (await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{chatId}/messages")))[1];
        Assert.Equal(result.Text("content"), answer.GetProperty("content").GetString());
        if (model != "gpt-4o-mini")
            Assert.Equal(result.Text("reasoning"), answer.GetProperty("reasoning_trace").GetString());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Line_breaks_and_event_syntax_in_the_answer_stay_inside_one_data_line(string provider, string model)
    {
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;
        const string text = "a\nb\r\nc\rd\u2028e\u2029f\u0085g\n\ndata: {\"type\":\"done\",\"data\":\"x\"}\nevent: error\n\n: comment\nid: 7\n";

        var result = await server.CompleteAsync(chatId, text);

        Assert.Equal("done", result.Last?.Type);
        Assert.Equal($"You said: \"{text.Trim()}\" (1 messages, system: no)", result.Text("content"));
        // Whatever a reader splits lines on (CR, LF, CRLF, or also U+2028, U+2029 and NEL), every line is a field
        // of its own and each data line one whole event.
        Assert.DoesNotContain(result.Body, c => c is '\r' or '\u2028' or '\u2029' or '\u0085');
        Assert.All(result.Body.Split('\n'), line => Assert.True(line.Length == 0 || line.StartsWith("event: ", StringComparison.Ordinal) || line.StartsWith("data: {", StringComparison.Ordinal), line));
        Assert.Equal(result.Body.Split('\n').Count(line => line.StartsWith("data: ", StringComparison.Ordinal)), result.Events.Count);
        var answer = (await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{chatId}/messages")))[1];
        Assert.Equal(result.Text("content"), answer.GetProperty("content").GetString());
    }
}
