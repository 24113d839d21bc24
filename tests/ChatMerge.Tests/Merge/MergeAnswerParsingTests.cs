using ChatMerge.Merge;

namespace ChatMerge.Tests.Merge;

public sealed class MergeAnswerParsingTests
{
    [Fact]
    public void Transcript_wrapped_in_one_code_block_is_unwrapped()
    {
        var parsed = MergeTranscriptParser.ParseAnswer("Sure:\n\n````text\n[USER]: hi\n\n[REASONING]: think\n[ASSISTANT]: hello\n```py\nx = 1\n```\n````\n");

        Assert.Equal([new MergedTurn(TurnRole.User, "hi", null), new MergedTurn(TurnRole.Assistant, "hello\n```py\nx = 1\n```", "think")], parsed.Turns);
        Assert.True(parsed.HadPreamble);
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
