using System.Text.Json;
using ChatMerge.Providers.Gemini;
using Microsoft.Extensions.AI;
using static ChatMerge.Tests.Providers.Gemini.GeminiWireSamples;

namespace ChatMerge.Tests.Providers.Gemini;

public class GeminiStreamingTests
{
    static readonly ChatMessage[] Question = [new(ChatRole.User, "What is 2+2?")];

    static Task<List<ChatResponseUpdate>> StreamAsync(FakeGeminiHandler handler, string model = "gemini-2.5-flash", CancellationToken ct = default) =>
        new GeminiChatClient(handler.CreateClient(), FakeGeminiHandler.Key, model)
            .GetStreamingResponseAsync(Question, cancellationToken: ct).ToListAsync(ct).AsTask();

    [Fact]
    public async Task Stream_with_thoughts_yields_reasoning_then_text()
    {
        var updates = await StreamAsync(new FakeGeminiHandler().RespondSse(ThoughtsThenText));

        var contents = updates.SelectMany(u => u.Contents).ToList();
        Assert.Collection(contents,
            c => Assert.Equal("**Considering**...", Assert.IsType<TextReasoningContent>(c).Text),
            c => Assert.Equal("The answer is 4.", Assert.IsType<TextContent>(c).Text),
            c => Assert.IsType<UsageContent>(c));
        Assert.All(updates, u =>
        {
            Assert.Equal(ChatRole.Assistant, u.Role);
            Assert.Equal("abc", u.ResponseId);
            Assert.Equal("abc", u.MessageId);
            Assert.Equal("gemini-2.5-flash", u.ModelId);
        });
        Assert.Equal(ChatFinishReason.Stop, Assert.Single(updates, u => u.FinishReason is not null).FinishReason);
    }

    [Fact]
    public async Task Usage_comes_once_at_the_end_with_thoughts_counted_as_output()
    {
        var updates = await StreamAsync(new FakeGeminiHandler().RespondSse(ThoughtsThenText));

        var usage = Assert.IsType<UsageContent>(Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>()));
        Assert.Same(usage, updates[^1].Contents.Single());
        Assert.Equal(10, usage.Details.InputTokenCount);
        Assert.Equal(125, usage.Details.OutputTokenCount);
        Assert.Equal(120, usage.Details.ReasoningTokenCount);
        Assert.Equal(135, usage.Details.TotalTokenCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    public async Task Crlf_events_split_across_reads_give_the_same_answer(int bytesPerRead)
    {
        var updates = await StreamAsync(new FakeGeminiHandler().RespondSse(Crlf(ThoughtsThenText), bytesPerRead));

        var response = updates.ToChatResponse();
        Assert.Equal("The answer is 4.", response.Text);
        Assert.Equal("**Considering**...", response.Messages.Single().Contents.OfType<TextReasoningContent>().Single().Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(135, response.Usage?.TotalTokenCount);
    }

    [Theory]
    [InlineData("MAX_TOKENS", "length")]
    [InlineData("SAFETY", "content_filter")]
    [InlineData("PROHIBITED_CONTENT", "content_filter")]
    [InlineData("OTHER", "OTHER")]
    public async Task Finish_reason_is_mapped(string wire, string expected)
    {
        var sse = Sse(TextEvent, FinishEvent.Replace("\"STOP\"", $"\"{wire}\""));

        var updates = await StreamAsync(new FakeGeminiHandler().RespondSse(sse));

        var finish = updates.Single(u => u.FinishReason is not null);
        Assert.Equal(expected, finish.FinishReason!.Value.Value);
        // Gemini's own word, which ChatFinishReason has none for, goes along for the explanation.
        Assert.Equal(wire, finish.AdditionalProperties?[GeminiResponseMapper.FinishReasonKey]);
    }

    [Fact]
    public async Task A_normal_stop_carries_no_details()
    {
        var updates = await StreamAsync(new FakeGeminiHandler().RespondSse(ThoughtsThenText));

        Assert.Null(updates.Single(u => u.FinishReason is not null).AdditionalProperties);
    }

    [Fact]
    public async Task Blocked_prompt_finishes_with_content_filter()
    {
        var blocked = """data: {"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":7,"totalTokenCount":7},"modelVersion":"gemini-2.5-flash","responseId":"b1"}""";

        var updates = await StreamAsync(new FakeGeminiHandler().RespondSse(Sse(blocked)));

        Assert.Equal(ChatFinishReason.ContentFilter, updates.ToChatResponse().FinishReason);
        Assert.Equal("PROHIBITED_CONTENT", updates.Single(u => u.FinishReason is not null).AdditionalProperties?[GeminiResponseMapper.BlockReasonKey]);
    }

    [Fact]
    public async Task Thought_signature_is_kept_and_sent_back_on_the_next_turn()
    {
        var handler = new FakeGeminiHandler().RespondSse(SignedGemini3).RespondSse(ThoughtsThenText);
        var client = new GeminiChatClient(handler.CreateClient(), FakeGeminiHandler.Key, "gemini-3-pro-preview");

        var first = (await client.GetStreamingResponseAsync(Question).ToListAsync()).ToChatResponse();
        var text = first.Messages.Single().Contents.OfType<TextContent>().Single();
        Assert.Equal("CiIBVKhc7oXsig1", text.AdditionalProperties?["thoughtSignature"]);
        Assert.Contains(first.Messages.Single().Contents.OfType<TextReasoningContent>(), r => r.ProtectedData == "EkAKPgGsig2");

        await client.GetStreamingResponseAsync([.. Question, .. first.Messages, new(ChatRole.User, "And 3+3?")]).ToListAsync();

        using var sent = JsonDocument.Parse(handler.Requests[1].Body!);
        var model = sent.RootElement.GetProperty("contents")[1];
        Assert.Equal("model", model.GetProperty("role").GetString());
        // The unsigned thought is dropped; the signed parts go back with their signatures.
        Assert.Equal(
            """[{"text":"Four.","thoughtSignature":"CiIBVKhc7oXsig1"},{"text":"","thought":true,"thoughtSignature":"EkAKPgGsig2"}]""",
            model.GetProperty("parts").GetRawText());
    }

    [Fact]
    public async Task Error_event_mid_stream_throws_after_the_partial_text()
    {
        var updates = new List<ChatResponseUpdate>();
        var client = new GeminiChatClient(new FakeGeminiHandler().RespondSse(Sse(TextEvent, InternalErrorEvent)).CreateClient(), FakeGeminiHandler.Key, "gemini-2.5-flash");

        var error = await Assert.ThrowsAsync<GeminiException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(Question))
                updates.Add(update);
        });

        Assert.Equal("The answer is 4.", updates.ToChatResponse().Text);
        Assert.Equal(500, error.StatusCode);
        Assert.Equal("INTERNAL", error.Status);
        Assert.Contains("An internal error has occurred.", error.Message);
    }

    [Fact]
    public async Task Malformed_event_throws_GeminiException_not_JsonException()
    {
        var sse = Sse(TextEvent, """data: {"candidates":[{"content":{"parts":[{"text":"cut""");

        var error = await Assert.ThrowsAsync<GeminiException>(() => StreamAsync(new FakeGeminiHandler().RespondSse(sse)));

        Assert.IsAssignableFrom<JsonException>(error.InnerException);
    }

    [Fact]
    public async Task Stream_that_ends_without_a_finish_reason_throws()
    {
        var error = await Assert.ThrowsAsync<GeminiException>(
            () => StreamAsync(new FakeGeminiHandler().RespondSse(Sse(ThoughtEvent, TextEvent))));

        Assert.Contains("ended before the model finished", error.Message);
    }

    [Fact]
    public async Task Cancellation_mid_stream_ends_the_read()
    {
        using var cts = new CancellationTokenSource();
        var client = new GeminiChatClient(new FakeGeminiHandler().RespondSse(Sse(TextEvent), hang: true).CreateClient(), FakeGeminiHandler.Key, "gemini-2.5-flash");
        var received = new List<string>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(Question, cancellationToken: cts.Token))
            {
                received.Add(update.Text);
                cts.CancelAfter(TimeSpan.FromMilliseconds(50));
            }
        }).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["The answer is 4."], received);
    }
}
