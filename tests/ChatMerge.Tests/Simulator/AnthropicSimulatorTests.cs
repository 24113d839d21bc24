#pragma warning disable MEAI001
using System.Net;
using Anthropic.Exceptions;
using Microsoft.Extensions.AI;

namespace ChatMerge.Tests.Simulator;

public sealed class AnthropicSimulatorTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    static readonly ChatOptions Thinking = new() { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.Low } };

    [Fact]
    public async Task Anthropic_stream_with_thinking_carries_signature()
    {
        List<ChatMessage> messages = [new(ChatRole.System, "sys"), new(ChatRole.User, "What is 2+2?")];

        var r = await SimulatorFixture.Collect(sim.AnthropicChat().GetStreamingResponseAsync(messages, Thinking));

        Assert.Equal("Thinking about: What is 2+2?", r.Reasoning);
        Assert.Single(r.ProtectedData); // the signature_delta
        Assert.Equal("You said: \"What is 2+2?\" (1 messages, system: yes)", r.Text);
        Assert.True(r.Usage?.OutputTokenCount > 0);
        Assert.True(r.Usage?.InputTokenCount > 0);
        Assert.Contains("\"enabled\"", sim.Host.Requests.Last(q => q.Provider == "anthropic").Body);
    }

    [Fact]
    public async Task Anthropic_adaptive_thinking_mode_also_streams_reasoning()
    {
        var client = sim.Anthropic().AsIChatClient("claude-opus-4-6", 4096); // Adaptive is the SDK default

        var r = await SimulatorFixture.Collect(client.GetStreamingResponseAsync("adaptive please", Thinking));

        Assert.Equal("Thinking about: adaptive please", r.Reasoning);
        Assert.Contains("\"adaptive\"", sim.Host.Requests.Last(q => q.Body.Contains("adaptive please")).Body);
    }

    [Fact]
    public async Task Anthropic_stream_without_thinking_has_text_only()
    {
        var r = await SimulatorFixture.Collect(sim.Anthropic().AsIChatClient("claude-haiku-4-5", 1024, AnthropicThinkingMode.Extended)
            .GetStreamingResponseAsync("plain words here"));

        Assert.Equal("", r.Reasoning);
        Assert.Equal("You said: \"plain words here\" (1 messages, system: no)", r.Text);
    }

    [Fact]
    public async Task Anthropic_redacted_directive_adds_redacted_thinking_with_protected_data()
    {
        var r = await SimulatorFixture.Collect(sim.AnthropicChat().GetStreamingResponseAsync("secret [[sim:redacted]]", Thinking));

        Assert.Equal(2, r.ProtectedData.Count); // signature + redacted data
        Assert.Equal("You said: \"secret\" (1 messages, system: no)", r.Text);
    }

    [Fact]
    public async Task Anthropic_takes_back_its_own_thinking_and_refuses_a_forged_signature()
    {
        var first = await SimulatorFixture.Collect(sim.AnthropicChat().GetStreamingResponseAsync("think [[sim:redacted]]", Thinking));
        List<ChatMessage> again = [new(ChatRole.User, "think"), .. first.Updates.ToChatResponse().Messages, new(ChatRole.User, "more")];
        Assert.Equal("You said: \"more\" (3 messages, system: no)", (await sim.AnthropicChat().GetResponseAsync(again, Thinking)).Text);

        // Redacted data passed off as a thinking block's signature, as a client that loses the block's kind would.
        List<ChatMessage> forged = [new(ChatRole.User, "think"), new(ChatRole.Assistant, [new TextReasoningContent("") { ProtectedData = "MgOu" }, new TextContent("x")]), new(ChatRole.User, "more")];
        var e = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => sim.AnthropicChat().GetResponseAsync(forged, Thinking));
        Assert.Contains("Invalid `signature` in `thinking` block", e.Message);
    }

    [Fact]
    public async Task Anthropic_refuses_thinking_signed_by_another_model()
    {
        var first = await SimulatorFixture.Collect(sim.AnthropicChat().GetStreamingResponseAsync("think", Thinking));
        List<ChatMessage> again = [new(ChatRole.User, "think"), .. first.Updates.ToChatResponse().Messages, new(ChatRole.User, "more")];

        // Claude's signatures are bound to the model that wrote them.
        var e = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => sim.Anthropic().AsIChatClient("claude-opus-4-1", 4096, AnthropicThinkingMode.Extended).GetResponseAsync(again, Thinking));
        Assert.Contains("messages.1.content.0: Invalid `signature` in `thinking` block", e.Message);
    }

    [Fact]
    public async Task Anthropic_non_stream_returns_the_echo()
    {
        var response = await sim.AnthropicChat().GetResponseAsync("non stream please");

        Assert.Equal("You said: \"non stream please\" (1 messages, system: no)", response.Text);
    }

    [Fact]
    public async Task Anthropic_bad_key_throws_unauthorized_with_the_key_echoed()
    {
        var e = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() =>
            SimulatorFixture.Collect(sim.AnthropicChat("sk-ant-bogus-999").GetStreamingResponseAsync("hi")));

        Assert.Contains("sk-ant-bogus-999", e.ToString());
    }

    [Theory]
    [InlineData("401", typeof(AnthropicUnauthorizedException))]
    [InlineData("429", typeof(AnthropicRateLimitException))]
    [InlineData("500", typeof(Anthropic5xxException))]
    [InlineData("529", typeof(AnthropicOverloadedException))]
    public async Task Anthropic_fault_directive_throws_the_sdk_exception(string fault, Type expected)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() =>
            SimulatorFixture.Collect(sim.AnthropicChat().GetStreamingResponseAsync($"x [[sim:fault={fault}]]")));

        Assert.IsAssignableFrom(expected, e);
    }

    [Fact]
    public async Task Anthropic_error_mid_stream_throws_sse_exception_after_partial_text()
    {
        var text = "";
        await Assert.ThrowsAsync<AnthropicSseException>(async () =>
        {
            await foreach (var u in sim.AnthropicChat().GetStreamingResponseAsync("a b c d [[sim:fault=error-mid]]")) text += u.Text;
        });
        Assert.Equal("You said: \"a ", text);
    }

    [Fact]
    public async Task Anthropic_dropped_connection_throws_IOException()
    {
        await Assert.ThrowsAnyAsync<IOException>(() =>
            SimulatorFixture.Collect(sim.AnthropicChat().GetStreamingResponseAsync("a b c d [[sim:fault=drop]]")));
    }

    [Fact]
    public async Task Anthropic_malformed_event_throws_invalid_data()
    {
        await Assert.ThrowsAnyAsync<AnthropicInvalidDataException>(() =>
            SimulatorFixture.Collect(sim.AnthropicChat().GetStreamingResponseAsync("a b c d [[sim:fault=malformed]]")));
    }

    [Fact]
    public async Task Anthropic_stall_at_start_ends_by_cancellation()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            SimulatorFixture.Collect(sim.AnthropicChat().GetStreamingResponseAsync("x [[sim:fault=stall-start]]", cancellationToken: cts.Token)));
    }

    [Fact]
    public async Task Anthropic_accepts_x_api_key_and_models_is_told_apart_by_version_header()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, sim.Url("/v1/models"));
        request.Headers.Add("x-api-key", "sim-anthropic-key");
        request.Headers.Add("anthropic-version", "2023-06-01");

        var response = await sim.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"type\":\"model\"", body);
        Assert.Contains("\"has_more\":false", body);
    }

    [Fact]
    public async Task Anthropic_stream_body_ends_after_message_stop()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, sim.Url("/v1/messages"))
        {
            Content = new StringContent("""{"model":"claude-x","max_tokens":2048,"stream":true,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"}]}"""),
        };
        request.Headers.Add("x-api-key", "sim-anthropic-key");

        var body = await (await sim.Http.SendAsync(request)).Content.ReadAsStringAsync();

        Assert.EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", body);
        Assert.Contains("event: ping", body);
        Assert.True(body.IndexOf("signature_delta") < body.IndexOf("\"type\":\"text\""));
    }
}
