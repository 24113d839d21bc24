using ChatMerge.Completions;
using Microsoft.Extensions.AI;

namespace ChatMerge.Tests.Completions;

public sealed class AnswerTests
{
    [Fact]
    public void A_nul_character_from_the_model_is_dropped_alike_from_what_is_relayed_and_what_is_kept()
    {
        var answer = new Answer();
        var pieces = new List<AnswerPiece>();

        answer.Add(new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent("think\0ing"), new TextContent("ans\0wer")]), pieces);
        // A piece of nothing but U+0000 is no piece at all.
        answer.Add(new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent("\0"), new TextContent("\0\0")]), pieces);

        // The client sees what a reload of the chat shows, on SQLite and on PostgreSQL alike.
        Assert.Equal([new AnswerPiece(true, "thinking"), new AnswerPiece(false, "answer")], pieces);
        Assert.Equal("answer", answer.Text.ToString());
        Assert.Equal("thinking", answer.Reasoning.ToString());
    }

    [Fact]
    public void A_signed_thinking_block_keeps_its_text_as_the_provider_wrote_it()
    {
        var answer = new Answer();
        var pieces = new List<AnswerPiece>();

        answer.Add(new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent("a\0b"), new TextReasoningContent("") { ProtectedData = "sig" }]), pieces);

        Assert.Equal([new ReasoningBlock("a\0b", "sig")], answer.Blocks);
        Assert.Equal("ab", answer.Reasoning.ToString());
    }

    [Fact]
    public void A_signature_closes_a_thinking_block_with_the_text_before_it()
    {
        var answer = new Answer();
        var pieces = new List<AnswerPiece>();

        answer.Add(new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent("step one "), new TextReasoningContent("step two")]), pieces);
        answer.Add(new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent("") { ProtectedData = "sig-1" }]), pieces);
        answer.Add(new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent("") { ProtectedData = "redacted-2" }]), pieces);

        Assert.Equal([new ReasoningBlock("step one step two", "sig-1"), new ReasoningBlock("", "redacted-2")], answer.Blocks);
        Assert.Equal(2, pieces.Count);
    }

    [Fact]
    public void Redacted_thinking_is_stored_as_redacted_and_plain_blocks_keep_their_old_shape()
    {
        var answer = new Answer();
        var redacted = new TextReasoningContent("") { ProtectedData = "MgOu", AdditionalProperties = new() { [ReasoningBlock.AnthropicRedactedKey] = true } };

        answer.Add(new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent("plan") { ProtectedData = "sig-1" }, redacted]), []);

        Assert.Equal([new ReasoningBlock("plan", "sig-1"), new ReasoningBlock("", "MgOu", Redacted: true)], answer.Blocks);
        Assert.Equal("""[{"Text":"plan","Signature":"sig-1"},{"Text":"","Signature":"MgOu","Redacted":true}]""", answer.ReasoningData);
    }

    [Fact]
    public void A_Gemini_signature_on_the_text_is_kept_to_go_back_on_the_text()
    {
        var answer = new Answer();
        var signed = new TextContent("Four.") { AdditionalProperties = new() { ["thoughtSignature"] = "CiIB" } };

        answer.Add(new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent("unsigned thought"), signed]), []);

        Assert.Equal([new ReasoningBlock("", "CiIB", OnText: true)], answer.Blocks);
        Assert.Equal("""[{"Text":"","Signature":"CiIB","OnText":true}]""", answer.ReasoningData);
    }
}
