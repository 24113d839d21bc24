using System.Text.Json;
using ChatMerge.Completions;
using ChatMerge.Data;
using Microsoft.Extensions.AI;

namespace ChatMerge.Tests.Completions;

public sealed class HistoryTests
{
    private static Message Answer(string provider, string? reasoningData, string model = "m1") => new()
    {
        ChatId = Guid.CreateVersion7(), Role = "assistant", Content = "answer", ReasoningTrace = "my reasoning", ReasoningData = reasoningData, Provider = provider, Model = model,
    };

    [Theory]
    [InlineData("""[{"Text":"","Signature":"MgOu","Redacted":true}]""", "anthropic", true)]
    [InlineData("""[{"Text":"plan","Signature":"sig-1"}]""", "anthropic", false)]
    // Stored before blocks said whether they were redacted: Claude's empty ones were.
    [InlineData("""[{"Text":"","Signature":"MgOu"}]""", "anthropic", true)]
    // Gemini's signature-only parts are not redacted thinking.
    [InlineData("""[{"Text":"","Signature":"EkAK"}]""", "gemini", false)]
    public void Stored_blocks_go_back_marked_redacted_only_when_they_were(string reasoningData, string provider, bool redacted)
    {
        var replayed = Assert.Single(History.Build(null, [Answer(provider, reasoningData)], provider, "m1")).Contents.OfType<TextReasoningContent>().Single();

        Assert.Equal(redacted, replayed.AdditionalProperties?.ContainsKey(ReasoningBlock.AnthropicRedactedKey) == true);
        Assert.Equal(JsonDocument.Parse(reasoningData).RootElement[0].GetProperty("Signature").GetString(), replayed.ProtectedData);
    }

    [Theory]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public void Signed_reasoning_goes_back_as_reasoning_to_the_provider_that_wrote_it(string provider)
    {
        var sent = Assert.Single(History.Build(null, [Answer(provider, """[{"Text":"my reasoning","Signature":"sig"}]""")], provider, "m1"));

        Assert.Collection(sent.Contents,
            c =>
            {
                var reasoning = Assert.IsType<TextReasoningContent>(c);
                Assert.Equal(("my reasoning", "sig"), (reasoning.Text, reasoning.ProtectedData));
            },
            c => Assert.Equal("answer", Assert.IsType<TextContent>(c).Text));
    }

    [Theory]
    // Reasoning summaries and unsigned thoughts: nothing the provider can take back.
    [InlineData("openai", "openai", null)]
    [InlineData("gemini", "gemini", null)]
    // Signed by another provider.
    [InlineData("anthropic", "openai", """[{"Text":"my reasoning","Signature":"sig"}]""")]
    [InlineData("anthropic", "gemini", """[{"Text":"my reasoning","Signature":"sig"}]""")]
    public void Other_reasoning_stays_out_of_the_history(string writtenBy, string sentTo, string? reasoningData)
    {
        var sent = Assert.Single(History.Build(null, [Answer(writtenBy, reasoningData)], sentTo, "m1"));

        Assert.Equal("answer", Assert.IsType<TextContent>(Assert.Single(sent.Contents)).Text);
    }

    [Theory]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public void Reasoning_signed_by_another_model_of_the_same_provider_stays_out_of_the_history(string provider)
    {
        // The chat was switched from m1 to m2: m2 refuses m1's signatures.
        var sent = Assert.Single(History.Build(null, [Answer(provider, """[{"Text":"my reasoning","Signature":"sig"}]""", model: "m1")], provider, "m2"));

        Assert.Equal("answer", Assert.IsType<TextContent>(Assert.Single(sent.Contents)).Text);
    }

    [Theory]
    [InlineData("anthropic", "user")]
    [InlineData("gemini", "user")]
    [InlineData("openai", "system")]
    public void A_system_note_inside_the_conversation_goes_to_Claude_and_Gemini_as_the_users(string provider, string noteRole)
    {
        Message Stored(string role, string content) => new() { ChatId = Guid.CreateVersion7(), Role = role, Content = content, Provider = provider, Model = "m1" };

        var sent = History.Build("prompt", [Stored("system", "first note"), Stored("user", "q"), Stored("assistant", "a"), Stored("system", "later note"), Stored("user", "q2")], provider, "m1");

        Assert.Equal(["system", "system", "user", "assistant", noteRole, "user"], sent.Select(m => m.Role.Value));
        Assert.Equal("later note", sent[4].Text);
    }

    [Fact]
    public void A_Gemini_signature_stored_from_the_text_goes_back_on_the_text()
    {
        var sent = Assert.Single(History.Build(null, [Answer("gemini", """[{"Text":"","Signature":"CiIB","OnText":true},{"Text":"","Signature":"EkAK"}]""")], "gemini", "m1"));

        Assert.Collection(sent.Contents,
            c => Assert.Equal("EkAK", Assert.IsType<TextReasoningContent>(c).ProtectedData),
            c =>
            {
                var text = Assert.IsType<TextContent>(c);
                Assert.Equal(("answer", "CiIB"), (text.Text, text.AdditionalProperties?["thoughtSignature"]));
            });
    }

    [Theory]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public void Thinking_that_led_to_no_text_stays_out_of_the_history(string provider)
    {
        var cut = Answer(provider, """[{"Text":"my reasoning","Signature":"sig"}]""");
        cut.Content = "";

        var sent = Assert.Single(History.Build(null, [cut], provider, "m1"));

        Assert.DoesNotContain(sent.Contents, c => c is TextReasoningContent);
    }
}
