#pragma warning disable OPENAI001, MEAI001
using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace ChatMerge.Tests.Simulator;

public sealed class OpenAiSimulatorTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    static List<ChatMessage> Ask(string text) => [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Earlier"), new(ChatRole.Assistant, "Ok"), new(ChatRole.User, text)];

    [Fact]
    public async Task OpenAi_chat_stream_echoes_last_user_message_and_reports_usage()
    {
        var r = await SimulatorFixture.Collect(sim.OpenAiChat().GetStreamingResponseAsync(Ask("Hello there")));

        Assert.Equal("You said: \"Hello there\" (3 messages, system: yes)", r.Text);
        Assert.True(r.Updates.Count(u => u.Text.Length > 0) >= 5, "text should arrive in several chunks");
        Assert.Equal(ChatFinishReason.Stop, r.FinishReason);
        Assert.NotNull(r.Usage);
        Assert.True(r.Usage!.InputTokenCount >= 1);
        Assert.Equal(8, r.Usage.OutputTokenCount); // one token per streamed word
    }

    [Fact]
    public async Task OpenAi_chat_non_stream_strips_directives_from_echo()
    {
        var response = await sim.OpenAiChat().GetResponseAsync([new ChatMessage(ChatRole.User, "Hi [[sim:delay=1]] you")]);

        Assert.Equal("You said: \"Hi you\" (1 messages, system: no)", response.Text);
    }

    [Fact]
    public async Task OpenAi_responses_stream_with_reasoning_summary_yields_reasoning_before_text()
    {
        var client = sim.OpenAi().GetResponsesClient().AsIChatClient("o4-mini");
        var options = new ChatOptions { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.High, Output = ReasoningOutput.Summary } };

        var r = await SimulatorFixture.Collect(client.GetStreamingResponseAsync(Ask("Why is the sky blue?"), options));

        Assert.Equal("Thinking about: Why is the sky blue?", r.Reasoning);
        Assert.Equal("You said: \"Why is the sky blue?\" (3 messages, system: yes)", r.Text);
        var firstReasoning = r.Updates.FindIndex(u => u.Contents.OfType<TextReasoningContent>().Any(c => c.Text.Length > 0));
        var firstText = r.Updates.FindIndex(u => u.Contents.OfType<TextContent>().Any(c => c.Text.Length > 0));
        Assert.InRange(firstReasoning, 0, firstText - 1);
        Assert.True(r.Usage?.OutputTokenCount > 0);
        var body = sim.Host.Requests.Last(q => q.Path == "/v1/responses").Body;
        Assert.Contains("\"summary\"", body);
    }

    [Fact]
    public async Task OpenAi_responses_non_stream_returns_reasoning_and_text()
    {
        var client = sim.OpenAi().GetResponsesClient().AsIChatClient("o4-mini");
        var options = new ChatOptions { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.Low, Output = ReasoningOutput.Summary } };

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "once more")], options);

        Assert.Equal("You said: \"once more\" (1 messages, system: no)", response.Text);
        Assert.Contains(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>(), c => c.Text == "Thinking about: once more");
    }

    [Fact]
    public async Task OpenAi_responses_stream_without_reasoning_has_no_reasoning()
    {
        var client = sim.OpenAi().GetResponsesClient().AsIChatClient("gpt-4o-mini");

        var r = await SimulatorFixture.Collect(client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "plain")]));

        Assert.Equal("", r.Reasoning);
        Assert.Equal("You said: \"plain\" (1 messages, system: no)", r.Text);
    }

    [Fact]
    public async Task OpenAi_bad_key_gets_401_that_echoes_part_of_the_key()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => sim.OpenAiChat("sk-wrong-key-1234567890").GetResponseAsync("hi"));

        Assert.Equal(401, e.Status);
        var body = e.GetRawResponse()!.Content.ToString();
        Assert.Contains("invalid_api_key", body);
        Assert.Contains("sk-wro", body);
        Assert.Contains("7890", body);
    }

    [Theory]
    [InlineData("401", 401)]
    [InlineData("429", 429)]
    [InlineData("500", 500)]
    [InlineData("503", 503)]
    [InlineData("529", 503)]
    public async Task OpenAi_fault_directive_fails_with_status(string fault, int status)
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() =>
            SimulatorFixture.Collect(sim.OpenAiChat().GetStreamingResponseAsync($"x [[sim:fault={fault}]]")));

        Assert.Equal(status, e.Status);
        if (status == 429) Assert.Equal("0", e.GetRawResponse()!.Headers.TryGetValue("retry-after", out var v) ? v : null);
    }

    [Fact]
    public async Task OpenAi_error_mid_stream_ends_without_finish_reason_or_usage()
    {
        var r = await SimulatorFixture.Collect(sim.OpenAiChat().GetStreamingResponseAsync("one two three four [[sim:fault=error-mid]]"));

        Assert.Equal("You said: \"one ", r.Text);
        Assert.Null(r.FinishReason);
        Assert.Null(r.Usage);
    }

    [Fact]
    public async Task OpenAi_responses_error_mid_stream_surfaces_as_error_content()
    {
        var client = sim.OpenAi().GetResponsesClient().AsIChatClient("gpt-4o-mini");

        var r = await SimulatorFixture.Collect(client.GetStreamingResponseAsync("a b c d e [[sim:fault=error-mid]]"));

        Assert.NotEmpty(r.Errors);
        Assert.Equal("You said: \"a ", r.Text);
    }

    [Fact]
    public async Task OpenAi_dropped_connection_throws_IOException_after_partial_text()
    {
        var text = "";
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            await foreach (var u in sim.OpenAiChat().GetStreamingResponseAsync("a b c d e [[sim:fault=drop]]")) text += u.Text;
        });
        Assert.Equal("You said: \"a ", text);
    }

    [Fact]
    public async Task OpenAi_malformed_event_throws_JsonException()
    {
        await Assert.ThrowsAnyAsync<JsonException>(() =>
            SimulatorFixture.Collect(sim.OpenAiChat().GetStreamingResponseAsync("a b c d e [[sim:fault=malformed]]")));
    }

    [Fact]
    public async Task OpenAi_stall_ends_only_by_cancellation()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var started = DateTime.UtcNow;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            SimulatorFixture.Collect(sim.OpenAiChat().GetStreamingResponseAsync("a b c d [[sim:fault=stall]]", cancellationToken: cts.Token)));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task OpenAi_tokens_directive_gives_a_long_stream()
    {
        var r = await SimulatorFixture.Collect(sim.OpenAiChat().GetStreamingResponseAsync("x [[sim:tokens=50]]"));

        Assert.StartsWith("tok1 tok2 ", r.Text);
        Assert.EndsWith(" tok50", r.Text);
        Assert.Equal(50, r.Usage?.OutputTokenCount);
    }

    [Fact]
    public async Task OpenAi_models_lists_gpt_models()
    {
        var json = await sim.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, sim.Url("/v1/models")) { Headers = { { "Authorization", "Bearer sim-openai-key" } } });
        var doc = JsonDocument.Parse(await json.Content.ReadAsStringAsync());

        Assert.Equal("list", doc.RootElement.GetProperty("object").GetString());
        Assert.Contains(doc.RootElement.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "gpt-4o-mini");
    }

    [Fact]
    public async Task Recorded_requests_hide_the_auth_header()
    {
        await sim.OpenAiChat().GetResponseAsync("record me");

        var request = sim.Host.Requests.Last(r => r.Body.Contains("record me"));
        Assert.Equal("openai", request.Provider);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("REDACTED", request.Headers["Authorization"]);
    }
}
