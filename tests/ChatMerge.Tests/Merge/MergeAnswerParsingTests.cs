using ChatMerge.Merge;

namespace ChatMerge.Tests.Merge;

public sealed class MergeAnswerParsingTests
{
    [Fact]
    public void Transcript_wrapped_in_one_code_block_is_unwrapped()
    {
        var parsed = MergeTranscriptParser.ParseAnswer("Sure:\n\n````text\n[USER]: hi\n\n[REASONING]: think\n[ASSISTANT]: hello\n```py\nx = 1\n```\n````\n");

        Assert.Equal([new MergedTurn(TurnRole.User, "hi", null), new MergedTurn(TurnRole.Assistant, "hello\n```py\nx = 1\n```", "think")], parsed.Turns);
    }

    [Fact]
    public void A_wrapped_transcript_keeps_the_code_blocks_its_turns_hold()
    {
        var parsed = MergeTranscriptParser.ParseAnswer(
            "Here is the merged conversation:\n```markdown\n[USER]: q\n[REASONING]: r\n[ASSISTANT]: see\n```python\nx\n```\nmore\n[USER]: q2\n[ASSISTANT]: a2\n```");

        Assert.Equal(
            [
                new MergedTurn(TurnRole.User, "q", null),
                new MergedTurn(TurnRole.Assistant, "see\n```python\nx\n```\nmore", "r"),
                new MergedTurn(TurnRole.User, "q2", null),
                new MergedTurn(TurnRole.Assistant, "a2", null),
            ],
            parsed.Turns);
    }

    [Fact]
    public void A_wrapped_transcript_may_be_followed_by_prose()
    {
        var parsed = MergeTranscriptParser.ParseAnswer("Sure:\n~~~\n[USER]: q\n[ASSISTANT]: a\n~~~\nHope this helps.");

        Assert.Equal([new MergedTurn(TurnRole.User, "q", null), new MergedTurn(TurnRole.Assistant, "a", null)], parsed.Turns);
    }

    [Fact]
    public void A_wrapped_transcript_cut_off_before_its_closer_is_unwrapped()
    {
        var parsed = MergeTranscriptParser.ParseAnswer("```\n[USER]: q\n[ASSISTANT]: a");

        Assert.Equal([new MergedTurn(TurnRole.User, "q", null), new MergedTurn(TurnRole.Assistant, "a", null)], parsed.Turns);
    }

    [Fact]
    public void A_fenced_example_before_the_transcript_is_not_the_transcript()
    {
        var parsed = MergeTranscriptParser.ParseAnswer("```\n[USER]: x\n[ASSISTANT]: y\n```\n[USER]: q\n[ASSISTANT]: a");

        Assert.Equal([new MergedTurn(TurnRole.User, "q", null), new MergedTurn(TurnRole.Assistant, "a", null)], parsed.Turns);
    }

    [Theory]
    [InlineData("[ASSISTANT]: intro")]
    [InlineData("[USER]: what's the format?")]
    public void Turns_in_a_code_block_after_a_turn_are_its_text(string turn)
    {
        var example = "```\n[USER]: x\n[ASSISTANT]: y\n```";

        var parsed = MergeTranscriptParser.ParseAnswer(turn + "\n" + example);

        var only = Assert.Single(parsed.Turns);
        Assert.Equal(turn[(turn.IndexOf(':') + 2)..] + "\n" + example, only.Content);
        Assert.False(parsed.HasUserAndAssistant);
    }

    [Fact]
    public void A_plain_transcript_with_code_keeps_its_code_blocks_as_text()
    {
        var parsed = MergeTranscriptParser.ParseAnswer("[USER]: show\n[ASSISTANT]: here\n```\n[USER]: inside\n```");

        Assert.Equal(2, parsed.Turns.Count);
        Assert.Equal("here\n```\n[USER]: inside\n```", parsed.Turns[1].Content);
    }

    [Fact]
    public void Code_block_without_turns_gives_no_conversation()
    {
        var parsed = MergeTranscriptParser.ParseAnswer("Here it is:\n```\njust prose\n```\nand more prose");

        Assert.False(parsed.HasUserAndAssistant);
        Assert.Empty(parsed.Turns);
    }
}
