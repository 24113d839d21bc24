using System.Text.Json;
using ChatMerge.Providers.Gemini;
using Microsoft.Extensions.AI;
using static ChatMerge.Tests.Providers.Gemini.GeminiWireSamples;

namespace ChatMerge.Tests.Providers.Gemini;

public class GeminiRequestTests
{
    static async Task<(FakeGeminiHandler Handler, JsonElement Body)> SendAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? chat = null, string model = "gemini-2.5-flash", GeminiChatClientOptions? options = null)
    {
        var handler = new FakeGeminiHandler().RespondSse(ThoughtsThenText);
        var client = new GeminiChatClient(handler.CreateClient(), FakeGeminiHandler.Key, model, options);
        await client.GetStreamingResponseAsync(messages, chat).ToListAsync();
        return (handler, JsonDocument.Parse(handler.Requests.Single().Body!).RootElement.Clone());
    }

    [Fact]
    public async Task Stream_request_goes_to_sse_endpoint_with_key_in_header_only()
    {
        var (handler, _) = await SendAsync([new(ChatRole.User, "hi")]);

        var (method, uri, key, _) = handler.Requests.Single();
        Assert.Equal(HttpMethod.Post, method);
        Assert.Equal("http://127.0.0.1:5100/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", uri.ToString());
        Assert.Equal(FakeGeminiHandler.Key, key);
        Assert.DoesNotContain(FakeGeminiHandler.Key, uri.ToString());
    }

    [Fact]
    public async Task Messages_map_to_system_instruction_and_user_model_roles()
    {
        var (_, body) = await SendAsync(
        [
            new(ChatRole.System, "Be brief."),
            new(ChatRole.System, "Answer in English."),
            new(ChatRole.User, "hi"),
            new(ChatRole.Assistant, "hello"),
            new(ChatRole.User, "2+2?"),
        ]);

        Assert.Equal("""{"parts":[{"text":"Be brief.\n\nAnswer in English."}]}""", body.GetProperty("systemInstruction").GetRawText());
        Assert.Equal(
            """[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"text":"hello"}]},{"role":"user","parts":[{"text":"2\u002B2?"}]}]""",
            body.GetProperty("contents").GetRawText());
        Assert.False(body.TryGetProperty("generationConfig", out _));
    }

    [Fact]
    public async Task Chat_options_and_client_thinking_defaults_map_to_generation_config()
    {
        var chat = new ChatOptions { Temperature = 0.7f, MaxOutputTokens = 2048, TopP = 0.9f, StopSequences = ["END"] };

        var (_, body) = await SendAsync([new(ChatRole.User, "hi")], chat,
            options: new GeminiChatClientOptions { IncludeThoughts = true, ThinkingBudget = 1024 });

        Assert.Equal(
            """{"temperature":0.7,"maxOutputTokens":2048,"topP":0.9,"stopSequences":["END"],"thinkingConfig":{"includeThoughts":true,"thinkingBudget":1024}}""",
            body.GetProperty("generationConfig").GetRawText());
    }

    [Fact]
    public async Task Reasoning_effort_sets_a_thinking_budget_and_asks_for_thoughts()
    {
        var chat = new ChatOptions { Reasoning = new() { Effort = ReasoningEffort.High } };

        var (_, body) = await SendAsync([new(ChatRole.User, "hi")], chat);

        Assert.Equal("""{"includeThoughts":true,"thinkingBudget":16384}""",
            body.GetProperty("generationConfig").GetProperty("thinkingConfig").GetRawText());
    }

    [Fact]
    public async Task Gemini3_gets_a_thinking_level_and_never_a_budget()
    {
        var chat = new ChatOptions { Reasoning = new() { Effort = ReasoningEffort.Low } };

        var (handler, body) = await SendAsync([new(ChatRole.User, "hi")], chat, "gemini-3-pro-preview",
            new GeminiChatClientOptions { ThinkingBudget = 4096 });

        Assert.Equal("""{"includeThoughts":true,"thinkingLevel":"low"}""",
            body.GetProperty("generationConfig").GetProperty("thinkingConfig").GetRawText());
        Assert.Contains("/models/gemini-3-pro-preview:", handler.Requests.Single().Uri.AbsolutePath);
    }

    [Fact]
    public async Task Reasoning_output_none_does_not_ask_for_thoughts()
    {
        var chat = new ChatOptions { Reasoning = new() { Effort = ReasoningEffort.Medium, Output = ReasoningOutput.None } };

        var (_, body) = await SendAsync([new(ChatRole.User, "hi")], chat, options: new() { IncludeThoughts = true });

        Assert.Equal("""{"thinkingBudget":8192}""", body.GetProperty("generationConfig").GetProperty("thinkingConfig").GetRawText());
    }

    [Fact]
    public async Task Unsigned_reasoning_is_dropped_and_signed_reasoning_goes_back_as_a_thought()
    {
        var (_, body) = await SendAsync(
        [
            new(ChatRole.User, "hi"),
            new(ChatRole.Assistant, [new TextReasoningContent("unsigned musing"), new TextContent("hello")]),
            new(ChatRole.Assistant, [new TextReasoningContent("signed musing") { ProtectedData = "SIG" }, new TextContent("again")]),
            new(ChatRole.Assistant, [new TextReasoningContent("only an unsigned thought")]),
            new(ChatRole.User, "more"),
        ]);

        Assert.Equal(
            """[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"text":"hello"},{"text":"signed musing","thought":true,"thoughtSignature":"SIG"},{"text":"again"}]},{"role":"user","parts":[{"text":"more"}]}]""",
            body.GetProperty("contents").GetRawText());
    }

    [Fact]
    public async Task Turns_of_one_role_in_a_row_go_as_one_turn()
    {
        var (_, body) = await SendAsync(
        [
            new(ChatRole.System, "sys"),
            new(ChatRole.User, "unanswered"),
            new(ChatRole.User, "again"),
            new(ChatRole.Assistant, "one"),
            new(ChatRole.Assistant, [new TextReasoningContent("") { ProtectedData = "SIG" }, new TextContent("two")]),
            new(ChatRole.User, "more"),
        ]);

        Assert.Equal(
            """[{"role":"user","parts":[{"text":"unanswered"},{"text":"again"}]},{"role":"model","parts":[{"text":"one"},{"text":"","thought":true,"thoughtSignature":"SIG"},{"text":"two"}]},{"role":"user","parts":[{"text":"more"}]}]""",
            body.GetProperty("contents").GetRawText());
    }

    [Fact]
    public async Task A_signature_restored_from_storage_as_json_is_sent_back()
    {
        var stored = JsonDocument.Parse("\"STORED\"").RootElement;
        var text = new TextContent("hello") { AdditionalProperties = new() { ["thoughtSignature"] = stored } };

        var (_, body) = await SendAsync([new(ChatRole.User, "hi"), new(ChatRole.Assistant, [text]), new(ChatRole.User, "more")]);

        Assert.Equal("""{"text":"hello","thoughtSignature":"STORED"}""", body.GetProperty("contents")[1].GetProperty("parts")[0].GetRawText());
    }
}
